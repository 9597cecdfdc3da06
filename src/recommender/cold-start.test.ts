import { describe, expect, it } from 'vitest';
import { changeOf } from './cold-start.js';

describe('changeOf: what giving an added item again changes', () => {
  const tea = { id: 'tea', title: 'Green tea', description: 'Sencha', attributes: { kind: 'green', origin: 'JP' }, image: 'tea.png', url: '/tea', price: 7 };

  it('nothing for the same item, a record for link / price / title wording', async () => {
    expect(await changeOf(tea, { ...tea, attributes: { ...tea.attributes } })).toBe('none');
    expect(await changeOf(tea, { ...tea, price: 8 })).toBe('record');
    expect(await changeOf(tea, { ...tea, url: '/tea-2' })).toBe('record');
    // the same text the encoders read, cut differently between title and description
    expect(await changeOf({ id: 'a', title: 'Green tea', description: 'Sencha' }, { id: 'a', title: 'Green tea. Sencha' })).toBe('record');
  });

  it('content for text, attributes or image the encoders read', async () => {
    expect(await changeOf(tea, { ...tea, description: 'Gyokuro' })).toBe('content');
    expect(await changeOf(tea, { ...tea, attributes: { kind: 'green' } })).toBe('content');
    expect(await changeOf(tea, { ...tea, attributes: { origin: 'JP', kind: 'green' } })).toBe('content'); // the text reads them in order
    expect(await changeOf({ ...tea, attributes: { kind: 'a|b' } }, { ...tea, attributes: { kind: 'a, b' } })).toBe('content'); // same text, other tokens
    expect(await changeOf(tea, { ...tea, image: 'tea-2.png' })).toBe('content');
    expect(await changeOf(tea, { ...tea, image: undefined })).toBe('content');
    expect(await changeOf({ ...tea, image: '' }, { ...tea, image: undefined })).toBe('none'); // no image either way
  });

  it('compares image Blobs by their bytes (IndexedDB gives back a copy)', async () => {
    const png = (b: number[]) => new Blob([new Uint8Array(b)], { type: 'image/png' });
    expect(await changeOf({ ...tea, image: png([1, 2, 3]) }, { ...tea, image: png([1, 2, 3]) })).toBe('none');
    expect(await changeOf({ ...tea, image: png([1, 2, 3]) }, { ...tea, image: png([1, 2, 4]) })).toBe('content');
    expect(await changeOf({ ...tea, image: png([1, 2, 3]) }, { ...tea, image: new Blob([new Uint8Array([1, 2, 3])], { type: 'image/jpeg' }) })).toBe('content');
    expect(await changeOf({ ...tea, image: png([1, 2, 3]) }, tea)).toBe('content');
  });
});
