import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ItemRecord } from '../bundle/manifest.js';
import { itemText } from '../data/catalog.js';
import { decodeEntities, displayText, factValues, facetKey } from './display.js';

describe('decodeEntities', () => {
  it('decodes named, decimal and hex entities, and twice-encoded ones', () => {
    expect(decodeEntities('Salt &amp; Pepper')).toBe('Salt & Pepper');
    expect(decodeEntities('Kids&#39; &quot;Fun&quot; set &#x2013; 3&times;')).toBe('Kids\' "Fun" set – 3×');
    expect(decodeEntities('AT&amp;amp;T')).toBe('AT&T');
    expect(decodeEntities('caf&eacute; &Eacute;clair')).toBe('café Éclair');
  });

  it('gives markup back as text, leaves unknown names and bare ampersands, and refuses non-characters', () => {
    expect(decodeEntities('&lt;script&gt;alert(1)&lt;/script&gt;')).toBe('<script>alert(1)</script>');
    expect(decodeEntities('R&D &notanentity; a & b')).toBe('R&D &notanentity; a & b');
    expect(decodeEntities('&#0;&#xD800;&#x110000;')).toBe('\ufffd\ufffd\ufffd');
    expect(decodeEntities('bell&#7;')).toBe('bell&#7;'); // a control character stays as written
  });
});

describe('displayText', () => {
  it('takes itemText() apart again: no title repeat, no ".." joint, facts split out', () => {
    const text = itemText({ title: 'Sticker: Face with Tears of Joy', description: 'Die-cut vinyl sticker. Think joy, tear.', attributes: { category: 'face-smiling', tags: 'crying|joy|tear' } });
    expect(text).toContain('tear.. category: face-smiling. tags: ');
    const d = displayText({ id: 'st-1', title: 'Sticker: Face with Tears of Joy', text });
    expect(d).toEqual({
      title: 'Sticker: Face with Tears of Joy',
      description: 'Die-cut vinyl sticker. Think joy, tear.',
      facts: [{ key: 'category', values: ['face-smiling'] }, { key: 'tags', values: ['crying', 'joy', 'tear'] }],
    });
  });

  it('decodes entities in every part and falls back to the id for an untitled item', () => {
    const d = displayText({ id: 'b1', title: 'Fish &amp; Chips', text: 'Fish &amp; Chips. Cod &amp; fries. brand: Smith &amp; Sons' });
    expect(d.title).toBe('Fish & Chips');
    expect(d.description).toBe('Cod & fries');
    expect(d.facts).toEqual([{ key: 'brand', values: ['Smith & Sons'] }]);
    expect(displayText({ id: 'sku-9' })).toEqual({ title: 'sku-9', description: '', facts: [] });
  });

  it('keeps a description that has a colon inside a sentence, and a title-only text gives no description', () => {
    expect(displayText({ id: 'x', title: 'Mug', text: 'Mug. Note the handle: it is big. genres: Kitchen, Home' })).toEqual({
      title: 'Mug', description: 'Note the handle: it is big', facts: [{ key: 'genres', values: ['Kitchen', 'Home'] }],
    });
    expect(displayText({ id: 'x', title: 'Mug', text: 'Mug' }).description).toBe('');
  });

  it('finds the facet to browse by (category, genres, …) and its values', () => {
    const ml = displayText({ id: '1', title: 'Toy Story (1995)', text: "Toy Story (1995). genres: Animation, Children's, Comedy" });
    expect(facetKey([ml])).toBe('genres');
    expect(factValues(ml, 'genres')).toEqual(['Animation', "Children's", 'Comedy']);
    expect(facetKey([displayText({ id: '2', title: 'A', text: 'A. b' })])).toBeUndefined();
  });

  it('cleans every item of the demo bundle: no entity, no "..", no "category:" left in a description', () => {
    const items = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../demo-data/bundle/items.json'), 'utf8')) as ItemRecord[];
    const texts = items.map(displayText);
    expect(facetKey(texts)).toBe('category');
    expect(new Set(texts.flatMap((t) => factValues(t, 'category'))).size).toBe(46);
    for (const t of texts) {
      expect(t.description).not.toMatch(/\.\.|category:|tags:|&\w+;/);
      expect(t.description.startsWith(t.title)).toBe(false);
      expect(factValues(t, 'category')).toHaveLength(1);
    }
  });
});
