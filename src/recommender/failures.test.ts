/**
 * The public API's failure cases (issue 21 §5, §6, §9): a device that fails under recommend(), a
 * full storage quota under record(), a backend that cannot start. Each either recovers with the
 * right result or rejects with a MolarError carrying its code: no raw TypeError / DOMException /
 * AbortError reaches the shop. The demo bundle's co-occurrence model, on tfjs wasm then cpu.
 */
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CooccurrenceEntry } from '../bundle/manifest.js';
import { isMolarError, MolarError } from '../errors.js';
import { fakeQuota } from '../history/quota-fake.js';
import { HistoryStore } from '../history/index.js';
import { selectBackend } from '../runtime/backend.js';
import { COOCCURRENCE_SCORER } from '../score/kinds/baselines.js';
import { registerScorer } from '../score/registry.js';
import type { MolarWarning } from '../warnings.js';
import { Recommender } from './recommender.js';

type Fault = 'abort' | 'zeros' | 'nan' | 'type-error';
/** what the next score() calls do instead of scoring, one entry per call */
const faults: Fault[] = [];
registerScorer<CooccurrenceEntry>('cooccurrence', {
  priority: COOCCURRENCE_SCORER.priority,
  async create(ctx) {
    const inner = await COOCCURRENCE_SCORER.create(ctx);
    return {
      async score(histories) {
        const f = faults.shift();
        // what a WebGPU read rejects with when its device goes, and what a lost WebGL context reads back
        if (f === 'abort') throw new DOMException('Failed to execute mapAsync: device lost', 'AbortError');
        if (f === 'type-error') throw new TypeError("Cannot read properties of null (reading 'texture')");
        if (f) return histories.map(() => new Float32Array(ctx.manifest.numItems + 1).fill(f === 'nan' ? NaN : 0));
        return inner.score(histories);
      },
      dispose: () => inner.dispose(),
    };
  },
});

const BUNDLE = path.resolve(import.meta.dirname, '../../demo-data/bundle');
const diskFetch = (async (url: string) => new Response(readFileSync(path.join(BUNDLE, url.replace('disk://demo/', ''))))) as typeof fetch;
const HISTORY = ['st-1f600', 'st-1f923', 'st-1f602'];
let ns = 0;
const open: Recommender[] = [];
afterEach(() => {
  for (const r of open.splice(0)) r.dispose();
  faults.length = 0;
  vi.restoreAllMocks();
});

async function load() {
  const warnings: MolarWarning[] = [];
  const rec = await Recommender.load({
    bundleUrl: 'disk://demo/', fetch: diskFetch, namespace: `failures${ns++}`, model: 'cooccurrence',
    // the demo's re-ranker follows its served blend, not co-occurrence: off, so the warnings are the history's
    config: { runtime: { fallbackOrder: ['wasm', 'cpu'] }, summary: { rerank: false } },
    onWarning: (w) => warnings.push(w),
  });
  open.push(rec);
  const changes: { backend: string; lost: { reason: string } }[] = [];
  rec.addEventListener('backendchange', (e) => changes.push((e as CustomEvent).detail));
  for (const [i, itemId] of HISTORY.entries()) await rec.record({ itemId, ts: 1000 + i });
  const reference = (await rec.recommend({ k: 10 })).map((r) => [r.item.id, r.score]);
  return { rec, warnings, changes, reference };
}

describe('recommend() when the device fails under it', () => {
  for (const fault of ['abort', 'type-error', 'zeros', 'nan'] as const) {
    it(`${fault}: moves to the next backend and returns the same ranking, history intact`, async () => {
      const { rec, changes, reference } = await load();
      expect(rec.backend).toBe('wasm');
      faults.push(fault);
      const got = (await rec.recommend({ k: 10 })).map((r) => [r.item.id, r.score]);
      expect(got).toEqual(reference);
      expect(rec.backend).toBe('cpu');
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({ backend: 'cpu', lost: { reason: fault === 'zeros' || fault === 'nan' ? 'garbage' : 'failed' } });
      expect((await rec.events()).map((e) => e.itemId)).toEqual(HISTORY);
    });
  }
});

describe('every failure of the public API is a MolarError with its code', () => {
  it('walks the cases', async () => {
    const cases: [string, string, () => Promise<unknown>][] = [];
    const { rec } = await load();
    expect(await rec.recommend(null as never)).toHaveLength(8); // null options are the defaults, not a TypeError
    cases.push(['unknown backend', 'BAD_CONFIG', () => selectBackend('tpu' as never)]);
    cases.push(['WebGPU in Node', 'BACKEND_UNAVAILABLE', () => selectBackend('webgpu')]);
    cases.push(['record of an empty item id', 'BAD_INPUT', () => rec.record({ itemId: '' })]);
    cases.push(['record of a bad type', 'BAD_INPUT', () => rec.record({ itemId: HISTORY[0], type: 'hover' as never })]);
    cases.push(['recommend with k 0', 'BAD_CONFIG', () => rec.recommend({ k: 0 })]);
    cases.push(['recommend with k not a number', 'BAD_CONFIG', () => rec.recommend({ k: 'ten' as never })]);
    cases.push(['recommend excluding something odd', 'BAD_CONFIG', () => rec.recommend({ exclude: 42 as never })]);
    cases.push(['recommend excluding ids that are not strings', 'BAD_CONFIG', () => rec.recommend({ exclude: [1, 2] as never })]);
    cases.push(['every backend fails in flight', 'DEVICE_LOST', () => (faults.push('abort', 'abort'), rec.recommend())]);
    cases.push(['the next call after that', 'DEVICE_LOST', () => rec.recommend()]);
    cases.push(['history namespace empty', 'BAD_INPUT', () => HistoryStore.open('')]);
    cases.push(['a bundle URL that does not parse', 'BAD_CONFIG', () => Recommender.load({ bundleUrl: 'http://[::1' })]);
    cases.push(['no bundle URL', 'BAD_CONFIG', () => Recommender.load({} as never)]);
    cases.push(['a bundle that is not there (HTTP 404)', 'IO', () => Recommender.load({ bundleUrl: 'disk://gone/', fetch: (async () => new Response('', { status: 404 })) as typeof fetch, namespace: 'gone' })]);
    cases.push(['a network that fails', 'IO', () => Recommender.load({ bundleUrl: 'disk://gone/', fetch: (async () => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch, namespace: 'gone' })]);
    cases.push(['a model kind the bundle lacks', 'UNKNOWN_KIND', () => Recommender.load({ bundleUrl: 'disk://demo/', fetch: diskFetch, namespace: 'kind', model: 'gpt' })]);
    cases.push(['addItems in Node with the default, page-relative model URL', 'BAD_CONFIG', () => rec.addItems([{ id: 'new-1', title: 'New' }])]);
    cases.push(['addItems with an id twice in one call', 'BAD_INPUT', () => rec.addItems([{ id: 'new-1' }, { id: 'new-1' }])]);
    cases.push(['addItems with no list', 'BAD_INPUT', () => rec.addItems('new-1' as never)]);
    cases.push(['record with no event', 'BAD_INPUT', () => rec.record(undefined as never)]);
    cases.push(['record with a ts that is not finite', 'BAD_INPUT', () => rec.record({ itemId: 'x', ts: Number.NaN })]);
    cases.push(['strict history, full quota', 'IO', async () => {
      const h = await HistoryStore.open('strict', { dbName: 'failures-strict', maxEvents: 10 }, { strict: true });
      fakeQuota(0, false);
      try {
        await h.record({ itemId: 'x', type: 'view' });
      } finally {
        h.close();
        vi.restoreAllMocks();
      }
    }]);
    cases.push(['recommend in flight at dispose()', 'DISPOSED', async () => {
      const { rec: other } = await load();
      const inFlight = other.recommend();
      other.dispose();
      await inFlight;
    }]);
    for (const [name, code, run] of cases) {
      const e = await run().then(() => undefined, (x: unknown) => x);
      expect(e instanceof MolarError ? e.code : String(e), name).toBe(code);
    }
    // the history is still there for a shop that shows what was seen
    expect((await rec.events()).map((e) => e.itemId)).toEqual(HISTORY);
  });

  it('a full quota under record() rejects nothing and loses nothing unannounced; warnings carry their codes', async () => {
    const { rec, warnings } = await load();
    fakeQuota(0, false); // nothing more fits, and deleting frees nothing
    for (let i = 0; i < 5; i++) await rec.record({ itemId: HISTORY[i % 3], ts: 2000 + i });
    expect(warnings.map((w) => w.code)).toEqual(['HISTORY_TRIMMED', 'HISTORY_NOT_PERSISTENT']);
    expect(rec.persistent).toBe(false);
    // the policy dropped the oldest one of the three stored; every other event is there, in order
    expect((await rec.events()).map((e) => e.ts)).toEqual([1001, 1002, 2000, 2001, 2002, 2003, 2004]);
    expect(isMolarError(await rec.recommend().then(() => undefined, (e) => e))).toBe(false);
  });
});
