/** DeviceGuard and the result checks (recovery.ts) on a fake runtime whose devices the test loses. */
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CONFIG, type BackendName } from '../config.js';
import { isMolarError, MolarError } from '../errors.js';
import type { LossInfo } from '../runtime/backend.js';
import { checkScores, checkStreamedTopK, checkTopK, DeviceFault, DeviceGuard, type GuardDeps } from './recovery.js';

/** A runtime of named backends: `lose(b)` announces b's device loss, as device.lost / webglcontextlost do. */
function fakeRuntime(order: BackendName[], opts: { failRebuild?: BackendName[] } = {}) {
  let active = order[0];
  const listeners = new Map<BackendName, (info: LossInfo) => void>();
  const deps: GuardDeps = {
    select: async (_choice, cfg, skip = []) => {
      const b = cfg!.fallbackOrder.find((x) => !skip.includes(x));
      if (!b) throw new MolarError('BACKEND_UNAVAILABLE', 'no compute backend could start');
      active = b;
      return { backend: b, tried: [] };
    },
    watch: (onLost) => {
      const b = active;
      listeners.set(b, onLost);
      return () => listeners.delete(b);
    },
    lost: () => false,
  };
  const rebuild = vi.fn(async (r: { backend: BackendName }) => {
    if (opts.failRebuild?.includes(r.backend)) throw new Error(`cannot build on ${r.backend}`);
  });
  const changed = vi.fn();
  const guard = new DeviceGuard({ runtime: { ...DEFAULT_CONFIG.runtime, fallbackOrder: order }, backend: order[0], rebuild, changed }, deps);
  return { guard, rebuild, changed, active: () => active, lose: (b: BackendName) => listeners.get(b)?.({ reason: 'destroyed', message: `${b} gone` }) };
}

const hangs = () => new Promise<string>(() => {});
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('DeviceGuard', () => {
  it('a pass left hanging by a lost device (a WebGL read that never ends) runs again on the next backend once the loss is announced', async () => {
    const rt = fakeRuntime(['webgl', 'wasm', 'cpu']);
    const result = rt.guard.run(() => (rt.active() === 'webgl' ? hangs() : Promise.resolve(`ok on ${rt.active()}`)));
    await tick();
    rt.lose('webgl');
    expect(await result).toBe('ok on wasm');
    expect(rt.rebuild).toHaveBeenCalledOnce();
    expect(rt.changed).toHaveBeenCalledWith({ backend: 'wasm', tried: [] }, { reason: 'destroyed', message: 'webgl gone' });
  });

  it('a pass that rejects with a raw AbortError (a WebGPU read as the device goes) is retried, never rejected with it', async () => {
    const rt = fakeRuntime(['webgpu', 'webgl', 'cpu']);
    const pass = vi.fn(async () => {
      if (rt.active() === 'webgpu') throw new DOMException('Device is lost', 'AbortError');
      return rt.active();
    });
    expect(await rt.guard.run(pass)).toBe('webgl');
    expect(pass).toHaveBeenCalledTimes(2);
  });

  it('garbage results (checkScores: all zeros, NaN) count as a lost device: the pass runs again elsewhere', async () => {
    const rt = fakeRuntime(['webgl', 'wasm', 'cpu']);
    const rows: Record<string, Float32Array> = { webgl: new Float32Array([-Infinity, 0, 0, 0]), wasm: new Float32Array([-Infinity, 1, NaN, 2]), cpu: new Float32Array([-Infinity, 1, 3, 2]) };
    const row = await rt.guard.run(async () => {
      const r = rows[rt.active()];
      checkScores(r, rt.active() === 'webgl');
      return r;
    });
    expect(Array.from(row)).toEqual([-Infinity, 1, 3, 2]);
    expect(rt.changed).toHaveBeenCalledTimes(2);
  });

  it('DEVICE_LOST only when every backend has failed, and at once for every later call', async () => {
    const rt = fakeRuntime(['webgpu', 'webgl']);
    const pass = vi.fn(() => Promise.reject(new DOMException('Device is lost', 'AbortError')));
    const e = await rt.guard.run(pass).catch((x) => x);
    expect(isMolarError(e, 'DEVICE_LOST')).toBe(true);
    expect(e.message).toMatch(/no other backend/);
    expect(pass).toHaveBeenCalledTimes(2);
    const again = await rt.guard.run(pass).catch((x) => x);
    expect(isMolarError(again, 'DEVICE_LOST')).toBe(true);
    expect(pass).toHaveBeenCalledTimes(2);
  });

  it("a MolarError from the pass (bad input, bad bundle) is the caller's: no backend change", async () => {
    const rt = fakeRuntime(['webgl', 'cpu']);
    const e = await rt.guard.run(() => Promise.reject(new MolarError('BUNDLE_INVALID', 'bad'))).catch((x) => x);
    expect(isMolarError(e, 'BUNDLE_INVALID')).toBe(true);
    expect(rt.rebuild).not.toHaveBeenCalled();
  });

  it('calls in flight during one loss share one move; a loss with nothing in flight moves at once', async () => {
    const rt = fakeRuntime(['webgpu', 'webgl', 'cpu']);
    const pass = () => (rt.active() === 'webgpu' ? hangs() : Promise.resolve(rt.active()));
    const both = Promise.all([rt.guard.run(pass), rt.guard.run(pass)]);
    await tick();
    rt.lose('webgpu');
    expect(await both).toEqual(['webgl', 'webgl']);
    expect(rt.rebuild).toHaveBeenCalledOnce();
    rt.lose('webgl'); // idle
    await vi.waitFor(() => expect(rt.changed).toHaveBeenCalledTimes(2));
    expect(await rt.guard.run(pass)).toBe('cpu');
  });

  it('skips a backend whose rebuild fails, and is DISPOSED after stop()', async () => {
    const rt = fakeRuntime(['webgpu', 'webgl', 'cpu'], { failRebuild: ['webgl'] });
    expect(await rt.guard.run(async () => (rt.active() === 'webgpu' ? Promise.reject(new Error('lost')) : rt.active()))).toBe('cpu');
    expect(rt.changed).toHaveBeenCalledOnce();
    rt.guard.stop();
    expect(isMolarError(await rt.guard.run(async () => 1).catch((x) => x), 'DISPOSED')).toBe(true);
  });
});

describe('result checks', () => {
  it('checkScores passes real rows and faults all-zero or non-finite ones, and on a GPU any constant row', () => {
    for (const onGpu of [false, true]) {
      expect(() => checkScores(new Float32Array([-Infinity, 0, 0.5, -1]), onGpu)).not.toThrow();
      for (const bad of [[-Infinity, 0, 0, 0], [-Infinity, 1, NaN], [-Infinity, 1, Infinity]]) expect(() => checkScores(new Float32Array(bad), onGpu)).toThrow(DeviceFault);
    }
    // zeros through a log-softmax: -log N everywhere
    const constant = new Float32Array([-Infinity, -Math.log(3), -Math.log(3), -Math.log(3)]);
    expect(() => checkScores(constant, true)).toThrow(DeviceFault);
    expect(() => checkScores(constant, false)).not.toThrow(); // a uniform popularity on the CPU is honest
    expect(() => checkScores(new Float32Array([-Infinity, 0]), true)).not.toThrow(); // one item: nothing to compare
  });

  it('checkTopK faults a top-k that disagrees with the scores it was picked from', () => {
    const scores = new Float32Array([-Infinity, 0.1, 0.9, 0.5, 0.7]);
    const top = (ids: number[], s = ids.map((i) => scores[i])) => ({ ids: Int32Array.from(ids), scores: Float32Array.from(s) });
    expect(() => checkTopK(top([2, 4]), scores, 2, [3])).not.toThrow();
    expect(() => checkTopK(top([2, 4, 1]), scores, 5, [3])).not.toThrow(); // only 3 eligible
    expect(() => checkTopK(top([]), scores, 2, [])).toThrow(/0 results/); // zeros read back: every id was 0, so excluded
    expect(() => checkTopK(top([2, 7], [0.9, 0]), scores, 2, [])).toThrow(/not an item/);
    expect(() => checkTopK(top([2, 4], [0, 0]), scores, 2, [])).toThrow(/score/);
    expect(() => checkTopK(top([4, 2]), scores, 2, [])).toThrow(/order/);
  });

  it('checkStreamedTopK faults what a lost device streams: too few, unknown, excluded or repeated ids, disorder, one value on a GPU', () => {
    const top = (ids: number[], s: number[]) => ({ ids: Int32Array.from(ids), scores: Float32Array.from(s) });
    const ex = new Set([0, 3]);
    expect(() => checkStreamedTopK(top([2, 4], [0.9, 0.7]), 5, 2, ex, true)).not.toThrow();
    expect(() => checkStreamedTopK(top([2, 4, 1, 5], [0.9, 0.7, 0.5, 0.1]), 5, 10, ex, true)).not.toThrow(); // 4 eligible
    expect(() => checkStreamedTopK(top([2], [0.9]), 5, 2, ex, false)).toThrow(/1 results/);
    expect(() => checkStreamedTopK(top([2, 6], [0.9, 0.1]), 5, 2, ex, false)).toThrow(/not an eligible/);
    expect(() => checkStreamedTopK(top([2, 3], [0.9, 0.1]), 5, 2, ex, false)).toThrow(/not an eligible/);
    expect(() => checkStreamedTopK(top([2, 2], [0.9, 0.9]), 5, 2, ex, false)).toThrow(/twice/);
    expect(() => checkStreamedTopK(top([2, 4], [0.1, 0.9]), 5, 2, ex, false)).toThrow(/order/);
    expect(() => checkStreamedTopK(top([2, 4], [NaN, 0.1]), 5, 2, ex, false)).toThrow(/scored/);
    expect(() => checkStreamedTopK(top([1, 2], [0.5, 0.5]), 5, 2, ex, true)).toThrow(/all 2 scored/);
    expect(() => checkStreamedTopK(top([1, 2], [0.5, 0.5]), 5, 2, ex, false)).not.toThrow(); // a tie on the CPU is honest
    expect(() => checkStreamedTopK(top([1, 2], [0, 0]), 5, 2, ex, false)).toThrow(/all 2 scored 0/);
  });
});
