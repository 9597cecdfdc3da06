import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, HF_DTYPES, oneOf, resolveConfig } from './config.js';
import { MolarError } from './errors.js';

function errorOf(f: () => unknown): MolarError {
  try {
    f();
  } catch (e) {
    if (e instanceof MolarError) return e;
    throw e;
  }
  throw new Error('expected a MolarError, got none');
}

describe('resolveConfig', () => {
  it('fills every section from the defaults and does not share them', () => {
    const c = resolveConfig();
    expect(c).toEqual(DEFAULT_CONFIG);
    expect(c.encoders).toEqual({ modelBaseUrl: '/models/', dtype: 'fp32', allowRemoteModels: false });
    c.encoders.dtype = 'q8';
    expect(DEFAULT_CONFIG.encoders.dtype).toBe('fp32');
  });

  it('merges a partial encoders section over the defaults, leaving the other fields', () => {
    const c = resolveConfig({ encoders: { dtype: 'q8', device: 'webgpu' }, history: { maxEvents: 10 } });
    expect(c.encoders).toEqual({ modelBaseUrl: '/models/', dtype: 'q8', device: 'webgpu', allowRemoteModels: false });
    expect(c.history).toEqual({ dbName: 'molar-history', maxEvents: 10 });
  });

  it('refuses a bad encoders value with BAD_CONFIG naming the field and what was expected', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ dtype: 'int3' }, 'encoders.dtype', 'expected one of fp32, fp16, q8, q4, got "int3"'],
      [{ dtype: 8 }, 'encoders.dtype', 'got 8'],
      [{ device: 'gpu' }, 'encoders.device', 'expected one of webgpu, wasm, cpu, got "gpu"'],
      [{ allowRemoteModels: 'yes' }, 'encoders.allowRemoteModels', 'expected true or false, got "yes"'],
      [{ modelBaseUrl: '' }, 'encoders.modelBaseUrl', 'expected a non-empty URL prefix'],
      [{ modelBaseUrl: '/models' }, 'encoders.modelBaseUrl', 'expected a non-empty URL prefix ending in "/", got "/models"'],
    ];
    for (const [encoders, field, message] of cases) {
      const e = errorOf(() => resolveConfig({ encoders } as never));
      expect(e.code).toBe('BAD_CONFIG');
      expect(e.field).toBe(field);
      expect(e.message).toContain(message);
    }
  });
});

describe('resolveConfig checks every section', () => {
  it('refuses unknown sections and fields, and bad values in every section, naming the field', () => {
    const cases: [unknown, string, string][] = [
      [{ explain: { on: true } }, 'explain', 'a known config section (runtime, history, score, baseline, encoders, summary, items)'],
      [{ summary: { blockSize: 3 } }, 'summary.blockSize', 'a known field of "summary" (rerank, weight, summarizer, reranker, captioner, generator, captionModel)'],
      [{ summary: { summarizer: 'llm' } }, 'summary.summarizer', 'expected one of default, generative, got "llm"'],
      [{ summary: { summarizer: 'generative' } }, 'summary.generator', 'a generator ({ model, … }) since summary.summarizer is "generative"'],
      [{ summary: { reranker: 'generative', generator: { model: 'lm' } } }, 'summary.summarizer', 'the generative re-ranker reads the generative summary'],
      [{ summary: { captioner: 'generative' } }, 'summary.captionModel', 'since summary.captioner is "generative"'],
      [{ summary: { generator: 'lm' } }, 'summary.generator', 'an object with a "model"'],
      [{ summary: { generator: { model: '' } } }, 'summary.generator.model', 'a model id or path'],
      [{ summary: { generator: { model: 'lm', device: 'gpu' } } }, 'summary.generator.device', 'expected one of webgpu, wasm, cpu'],
      [{ summary: { generator: { model: 'lm', dtype: 'int4' } } }, 'summary.generator.dtype', 'expected one of fp32, fp16, q8, q4'],
      [{ summary: { generator: { model: 'lm', blockSize: 0 } } }, 'summary.generator.blockSize', 'an integer in [1, 64]'],
      [{ summary: { generator: { model: 'lm', n: 2.5 } } }, 'summary.generator.n', 'an integer in [1, 1000]'],
      [{ summary: { generator: { model: 'lm', temperature: 1 } } }, 'summary.generator.temperature', 'a known field of "summary.generator" (model, localModelPath'],
      [{ summary: { captionModel: { model: 'cap', n: 3 } } }, 'summary.captionModel.n', 'a known field of "summary.captionModel"'],
      [{ summary: { rerank: 'yes' } }, 'summary.rerank', 'true or false'],
      [{ summary: { weight: 1.5 } }, 'summary.weight', 'a number in [0, 1]'],
      [{ score: { tileSize: 0 } }, 'score.tileSize', 'an integer in [1, '],
      [{ score: { tileSize: 2.5 } }, 'score.tileSize', 'an integer'],
      [{ score: { rerankDepth: -1 } }, 'score.rerankDepth', 'an integer in [1, '],
      [{ score: { contentRecencyDecay: 0 } }, 'score.contentRecencyDecay', 'a number in (0, 1]'],
      [{ score: { itemTable: 'fp16' } }, 'score.itemTable', 'expected one of auto, float32, int8, got "fp16"'],
      [{ history: { maxEvents: -3 } }, 'history.maxEvents', 'an integer in [1, '],
      [{ history: { dbName: '' } }, 'history.dbName', 'a non-empty database name'],
      [{ history: { maxevents: 10 } }, 'history.maxevents', 'a known field of "history" (dbName, maxEvents)'],
      [{ runtime: { fallbackOrder: ['metal'] } }, 'runtime.fallbackOrder[0]', 'expected one of webgpu, webgl, wasm, cpu, got "metal"'],
      [{ runtime: { fallbackOrder: [] } }, 'runtime.fallbackOrder', 'a non-empty list'],
      [{ runtime: { fallbackOrder: ['wasm', 'wasm'] } }, 'runtime.fallbackOrder', 'each backend at most once'],
      [{ runtime: { tfjsWasmPath: '/wasm' } }, 'runtime.tfjsWasmPath', 'ending in "/"'],
      [{ baseline: { recencyDecay: Number.NaN } }, 'baseline.recencyDecay', 'a number in (0, 1]'],
      [{ baseline: { popularityWeight: -1 } }, 'baseline.popularityWeight', 'a number in [0, '],
      [{ encoders: 'fp16' }, 'encoders', 'an object'],
      [{ items: { allowRemoteImages: 'true' } }, 'items.allowRemoteImages', 'true or false'],
    ];
    for (const [partial, field, message] of cases) {
      const e = errorOf(() => resolveConfig(partial as never));
      expect([e.code, e.field], JSON.stringify(partial)).toEqual(['BAD_CONFIG', field]);
      expect(e.message).toContain(message);
    }
  });

  it('accepts every valid field and copies lists instead of sharing them', () => {
    const order: ('wasm' | 'cpu')[] = ['wasm', 'cpu'];
    const c = resolveConfig({ runtime: { fallbackOrder: order }, score: { tileSize: 1, rerankDepth: 8, contentRecencyDecay: 1, itemTable: 'int8' }, baseline: { popularityWeight: 0 } });
    expect(c.runtime.fallbackOrder).toEqual(['wasm', 'cpu']);
    order.push('wasm');
    expect(c.runtime.fallbackOrder).toEqual(['wasm', 'cpu']);
    expect(c.score).toEqual({ tileSize: 1, rerankDepth: 8, contentRecencyDecay: 1, itemTable: 'int8' });
    expect(resolveConfig().score.itemTable).toBe('auto');
    expect(resolveConfig().summary).toEqual({ rerank: true, summarizer: 'default', reranker: 'default', captioner: 'default' });
    // the generative stages by config: the generator is copied, not shared with the caller
    const generator = { model: 'tiny-gpt2', localModelPath: '/models/', device: 'webgpu' as const, dtype: 'q4' as const, blockSize: 3, maxBlocks: 4, n: 10, maxNewTokens: 16 };
    const gen = resolveConfig({ summary: { summarizer: 'generative', reranker: 'generative', captioner: 'generative', generator, captionModel: { model: 'tiny-captioner' } } }).summary;
    expect(gen.generator).toEqual(generator);
    generator.n = 99;
    expect(gen.generator!.n).toBe(10);
    expect(gen.captionModel).toEqual({ model: 'tiny-captioner' });
    expect(resolveConfig().items).toEqual({ allowRemoteImages: false }); // images from other origins: off unless asked
    expect(resolveConfig({ items: { allowRemoteImages: true } }).items.allowRemoteImages).toBe(true);
    expect(resolveConfig({ summary: { rerank: false, weight: 0.25 } }).summary).toMatchObject({ rerank: false, weight: 0.25 });
  });
});

describe('oneOf', () => {
  it('returns an allowed value and names the field and code it was given otherwise', () => {
    expect(oneOf('q4', HF_DTYPES, '--dtype')).toBe('q4');
    const e = errorOf(() => oneOf('fp64', HF_DTYPES, '--dtype', 'BAD_INPUT'));
    expect([e.code, e.field]).toEqual(['BAD_INPUT', '--dtype']);
    expect(e.message).toBe('field "--dtype": expected one of fp32, fp16, q8, q4, got "fp64"');
    expect(errorOf(() => oneOf(undefined, HF_DTYPES, 'x')).message).toContain('got undefined');
  });
});
