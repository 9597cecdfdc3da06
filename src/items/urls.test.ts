import { describe, expect, it } from 'vitest';
import type { MolarWarning } from '../warnings.js';
import { catalogUrlProblem, resolveItemUrls } from './urls.js';

const BUNDLE = 'https://shop.example/bundles/tea/';
const PAGE = 'https://shop.example/products/42';

describe('resolveItemUrls', () => {
  it('keeps http(s) links and images, resolving relative ones once', () => {
    const [a, b] = resolveItemUrls([{ id: 'a', image: 'images/1.png', url: '/p/a' }, { id: 'b', image: '//cdn.example/b.png', url: 'https://other.example/b?x=1' }], BUNDLE, PAGE, () => {}, { allowRemoteImages: true });
    expect(a).toEqual({ id: 'a', image: 'https://shop.example/bundles/tea/images/1.png', url: 'https://shop.example/p/a' });
    expect(b).toEqual({ id: 'b', image: 'https://cdn.example/b.png', url: 'https://other.example/b?x=1' });
  });

  it('shows images from the page\'s and the bundle\'s origins only, unless allowRemoteImages; links to other origins stay', () => {
    const CDN_BUNDLE = 'https://cdn.shop.example/bundles/tea/';
    const items = [
      { id: 'rel', image: 'images/1.png' },
      { id: 'page', image: 'https://shop.example/img/2.png' },
      { id: 'cdn', image: '//cdn.other.example/3.png', url: 'https://other.example/p/3' },
      { id: 'http', image: 'http://shop.example/img/4.png' }, // another scheme is another origin
      { id: 'port', image: 'https://shop.example:8443/5.png' },
      { id: 'data', image: 'data:image/png;base64,iVBORw0KGgo=' },
    ];
    const warnings: MolarWarning[] = [];
    const strict = resolveItemUrls(items, CDN_BUNDLE, PAGE, (w) => warnings.push(w));
    expect(strict.map((it) => it.image)).toEqual([`${CDN_BUNDLE}images/1.png`, 'https://shop.example/img/2.png', undefined, undefined, undefined, 'data:image/png;base64,iVBORw0KGgo=']);
    expect(strict[2].url).toBe('https://other.example/p/3');
    expect(warnings.map((w) => [w.code, w.itemId])).toEqual([['UNSAFE_URL', 'cdn'], ['UNSAFE_URL', 'http'], ['UNSAFE_URL', 'port']]);
    expect(warnings[0].message).toMatch(/another origin \(https:\/\/cdn\.other\.example; allowed with config items\.allowRemoteImages or the widget's allow-remote-images\)/);
    const open = resolveItemUrls(items, CDN_BUNDLE, PAGE, () => expect.unreachable(), { allowRemoteImages: true });
    expect(open.map((it) => it.image)).toEqual([`${CDN_BUNDLE}images/1.png`, 'https://shop.example/img/2.png', 'https://cdn.other.example/3.png', 'http://shop.example/img/4.png', 'https://shop.example:8443/5.png', 'data:image/png;base64,iVBORw0KGgo=']);
  });

  it('at build time, refuses absolute image URLs unless allowed, and never a script link', () => {
    expect(catalogUrlProblem('img/a.png', 'image')).toBeUndefined();
    expect(catalogUrlProblem('https://cdn.example/a.png', 'image')).toMatch(/another origin.*--allow-remote-images/);
    expect(catalogUrlProblem('https://cdn.example/a.png', 'image', { allowRemoteImages: true })).toBeUndefined();
    expect(catalogUrlProblem('https://other.example/p', 'url')).toBeUndefined();
    expect(catalogUrlProblem('javascript:alert(1)', 'url')).toMatch(/not an http\(s\)/);
    expect(catalogUrlProblem('data:text/html,x', 'image', { allowRemoteImages: true })).toMatch(/not an http\(s\)/);
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
