import { afterEach, describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { CONFIG_ATTRIBUTES, configFromAttributes, FLAG_ATTRIBUTES, PATH_ATTRIBUTES, setWidgetDefaults } from './attributes.js';

const attrs = (a: Record<string, string>) => (name: string) => a[name] ?? null;

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(isMolarError(e, 'BAD_CONFIG')).toBe(true);
    return e as Error;
  }
  throw new Error('expected BAD_CONFIG');
}

describe('configFromAttributes', () => {
  afterEach(() => setWidgetDefaults({}));

  it('maps each path attribute onto its config field', () => {
    expect(configFromAttributes(attrs({ 'tfjs-wasm-path': '/cdn/tfjs/', 'ort-wasm-path': 'ort/', 'model-base-url': 'https://cdn.example/m/' }))).toEqual({
      runtime: { tfjsWasmPath: '/cdn/tfjs/', ortWasmPath: 'ort/' },
      encoders: { modelBaseUrl: 'https://cdn.example/m/' },
    });
    expect(configFromAttributes(attrs({}))).toEqual({});
    expect(CONFIG_ATTRIBUTES).toEqual(['config', ...Object.keys(PATH_ATTRIBUTES), ...Object.keys(FLAG_ATTRIBUTES)]);
  });

  it('layers defaults, then the config attribute, then the path attributes', () => {
    setWidgetDefaults({ runtime: { tfjsWasmPath: 'https://shop.example/w/wasm/tfjs/', ortWasmPath: 'https://shop.example/w/wasm/ort/' } });
    const config = JSON.stringify({ runtime: { fallbackOrder: ['wasm', 'cpu'], tfjsWasmPath: '/from-json/' }, history: { maxEvents: 50 } });
    expect(configFromAttributes(attrs({ config }))).toEqual({
      runtime: { tfjsWasmPath: '/from-json/', ortWasmPath: 'https://shop.example/w/wasm/ort/', fallbackOrder: ['wasm', 'cpu'] },
      history: { maxEvents: 50 },
    });
    expect(configFromAttributes(attrs({ config, 'tfjs-wasm-path': '/attr/' })).runtime?.tfjsWasmPath).toBe('/attr/');
  });

  it('refuses a bad value naming the attribute it came from', () => {
    expect(refusal(() => configFromAttributes(attrs({ 'tfjs-wasm-path': 'no-slash' }))).message).toBe(
      'attribute tfjs-wasm-path: field "runtime.tfjsWasmPath": expected a non-empty URL prefix ending in "/", got "no-slash"',
    );
    expect(refusal(() => configFromAttributes(attrs({ 'model-base-url': '/models' }))).message).toContain('attribute model-base-url: field "encoders.modelBaseUrl"');
    expect(refusal(() => configFromAttributes(attrs({ config: '{"runtime":' }))).message).toMatch(/^field "config": the config attribute is not JSON/);
    expect(refusal(() => configFromAttributes(attrs({ config: '[1]' }))).message).toContain('must be a JSON object');
    expect(refusal(() => configFromAttributes(attrs({ config: '{"runtime":{"fallbackOrder":["tpu"]}}' }))).message).toContain('attribute config: field "runtime.fallbackOrder[0]"');
    expect(refusal(() => configFromAttributes(attrs({ config: '{"nope":{}}' }))).message).toContain('attribute config: field "nope"');
    // a "__proto__" key is a section name like any other, refused, never the config's prototype
    expect(refusal(() => configFromAttributes(attrs({ config: '{"__proto__":{"history":{"maxEvents":1}}}' }))).message).toContain('attribute config: field "__proto__"');
    expect(refusal(() => configFromAttributes(attrs({ config: '{"history":{"__proto__":{"maxEvents":1}}}' }))).message).toContain('field "history.__proto__"');
  });

  it('allow-remote-images turns on images from other origins (present or "true"); "false" or absent leaves them off', () => {
    expect(configFromAttributes(attrs({ 'allow-remote-images': '' }))).toEqual({ items: { allowRemoteImages: true } });
    expect(configFromAttributes(attrs({ 'allow-remote-images': 'true' }))).toEqual({ items: { allowRemoteImages: true } });
    // the attribute wins over the config attribute, as the path attributes do
    expect(configFromAttributes(attrs({ config: '{"items":{"allowRemoteImages":true}}', 'allow-remote-images': 'false' }))).toEqual({ items: { allowRemoteImages: false } });
    expect(configFromAttributes(attrs({})).items).toBeUndefined();
    expect(refusal(() => configFromAttributes(attrs({ 'allow-remote-images': 'yes please' }))).message).toContain('attribute allow-remote-images: expected it present');
  });

  it('refuses bad defaults when they are set, not on the first element', () => {
    expect(refusal(() => setWidgetDefaults({ runtime: { ortWasmPath: '' } })).message).toContain('runtime.ortWasmPath');
    expect(configFromAttributes(attrs({}))).toEqual({});
  });
});
