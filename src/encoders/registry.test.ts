import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { MOBILENET_ID } from './mobilenet.js';
import { ENCODERS, encoderModality, encoderParts } from './registry.js';
import { USE_LITE_ID } from './use-lite.js';

describe('ENCODERS', () => {
  it('is keyed by the ids the encoder modules export (the table writes them out so it can import the modules lazily)', () => {
    expect(Object.keys(ENCODERS).sort()).toEqual([MOBILENET_ID, USE_LITE_ID].sort());
    expect(ENCODERS[USE_LITE_ID].modality).toBe('text');
    expect(ENCODERS[MOBILENET_ID].modality).toBe('image');
  });
});

describe('encoderParts', () => {
  it('splits built-in and transformers.js parts and tells their modality', () => {
    expect(encoderParts('use-lite+mobilenetv2')).toEqual([
      { id: 'use-lite', provider: 'builtin', modality: 'text' },
      { id: 'mobilenetv2', provider: 'builtin', modality: 'image' },
    ]);
    expect(encoderParts('hf-text:Xenova/clip-vit-base-patch32+hf-image:Xenova/clip-vit-base-patch32')).toEqual([
      { id: 'hf-text:Xenova/clip-vit-base-patch32', provider: 'hf', modality: 'text', model: 'Xenova/clip-vit-base-patch32' },
      { id: 'hf-image:Xenova/clip-vit-base-patch32', provider: 'hf', modality: 'image', model: 'Xenova/clip-vit-base-patch32' },
    ]);
  });

  it('gives the modality of the whole id (an image-only hf id is "image", not "text")', () => {
    expect(encoderModality(encoderParts('hf-image:tiny-clip'))).toBe('image');
    expect(encoderModality(encoderParts('mobilenetv2'))).toBe('image');
    expect(encoderModality(encoderParts('hf-text:tiny-bert'))).toBe('text');
    expect(encoderModality(encoderParts('use-lite+hf-image:tiny-clip'))).toBe('text+image');
  });

  it('refuses an unknown part or an hf part without a model, naming the field it was given', () => {
    for (const [id, message] of [
      ['use-lite+bogus', 'unknown encoder "bogus" in "use-lite+bogus"; known: use-lite, mobilenetv2, hf-text:<model>, hf-image:<model>'],
      ['hf-image:', '"hf-image:" in "hf-image:" names no model; expected hf-image:<model>'],
    ]) {
      let err: unknown;
      try {
        encoderParts(id, '--encode');
      } catch (e) {
        err = e;
      }
      expect(isMolarError(err, 'UNKNOWN_KIND')).toBe(true);
      expect((err as Error).message).toBe(`field "--encode": ${message}`);
    }
  });
});
