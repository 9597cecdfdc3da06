import { describe, expect, it } from 'vitest';
import type { MolarWarning } from '../warnings.js';
import { resolveItemUrls } from './urls.js';

const BUNDLE = 'https://shop.example/bundles/tea/';
const PAGE = 'https://shop.example/products/42';

describe('resolveItemUrls', () => {
  it('keeps http(s) links and images, resolving relative ones once', () => {
    const [a, b] = resolveItemUrls([{ id: 'a', image: 'images/1.png', url: '/p/a' }, { id: 'b', image: '//cdn.example/b.png', url: 'https://other.example/b?x=1' }], BUNDLE, PAGE, () => {});
    expect(a).toEqual({ id: 'a', image: 'https://shop.example/bundles/tea/images/1.png', url: 'https://shop.example/p/a' });
    expect(b).toEqual({ id: 'b', image: 'https://cdn.example/b.png', url: 'https://other.example/b?x=1' });
  });

  it('drops every script-bearing or non-web link, however it is spelt, with a warning naming the item', () => {
    const hostile = ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', '  javascript:alert(1)', 'java\nscript:alert(1)', '\u0001javascript:alert(1)', 'vbscript:msgbox(1)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', ''];
    const warnings: MolarWarning[] = [];
    const out = resolveItemUrls(hostile.map((url, i) => ({ id: `i${i}`, url })), BUNDLE, PAGE, (w) => warnings.push(w));
    expect(out.map((it) => it.url)).toEqual(hostile.map(() => undefined));
    expect(warnings.map((w) => w.itemId)).toEqual(hostile.map((_, i) => `i${i}`));
    expect(warnings.every((w) => w.code === 'UNSAFE_URL')).toBe(true);
  });

  it('allows data:image/ pictures but not other data: URLs or scripts as images', () => {
    const out = resolveItemUrls([{ id: 'p', image: 'data:image/png;base64,iVBORw0KGgo=' }, { id: 'h', image: 'data:text/html,<b>' }, { id: 'j', image: 'javascript:alert(1)' }], BUNDLE, PAGE, () => {});
    expect(out.map((it) => it.image)).toEqual(['data:image/png;base64,iVBORw0KGgo=', undefined, undefined]);
  });
});
