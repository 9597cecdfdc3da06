/**
 * Keeping recommend() right when the GPU goes (issue 21 §5). A loss shows up three ways: an event
 * (WebGPU `device.lost`, WebGL `webglcontextlost`), an error from the pass that was running (a
 * WebGPU read rejects with AbortError), or nothing at all: a lost WebGL context reads back zeros, or
 * never finishes a read. The guard turns all three into one move to the next backend, retries the
 * pass there, and reports DEVICE_LOST only when no backend is left. It never lets a raw error or
 * garbage scores through.
 */
import type { BackendName, RuntimeConfig } from '../config.js';
import { isMolarError, MolarError } from '../errors.js';
import type { ScoringShape } from '../runtime/measure.js';
import { deviceLost, selectBackend, watchDeviceLoss, type BackendReport, type LossInfo } from '../runtime/backend.js';
import type { TopK } from '../score/topk.js';

/** A pass saw its device go, or gave results no working device gives. Never leaves this module. */
export class DeviceFault extends Error {
  constructor(readonly info: LossInfo) {
    super(info.message);
  }
}

/**
 * Scores over ids 0..N as a served model gives them: finite for every item (bundle weights are
 * checked finite at load), and not all zero (no model ranks a catalog by all-equal zeros). A lost
 * WebGL context reads back exactly that: zeros, or NaN from uninitialised memory. `onGpu` also
 * refuses any all-equal row: zeros that went through a log-softmax (Molar's score mix) come out as
 * one constant. Only on a GPU backend, since on the CPU a uniform popularity (a toy catalog) can
 * give one honestly.
 */
export function checkScores(row: Float32Array, onGpu: boolean): void {
  let varies = false;
  for (let i = 1; i < row.length; i++) {
    const v = row[i];
    if (!Number.isFinite(v)) throw new DeviceFault({ reason: 'garbage', message: `the model gave item id ${i} the score ${v}` });
    if (v !== row[1]) varies = true;
  }
  if (row.length > 2 && !varies && (onGpu || row[1] === 0)) throw new DeviceFault({ reason: 'garbage', message: `the model scored all ${row.length - 1} items ${row[1]}` });
}

/**
 * The top-k the GPU picked must agree with the scores it was given (those are on the CPU): as many
 * results as there are eligible items, real ids, each with its own score, best first.
 */
export function checkTopK(top: TopK, scores: Float32Array, k: number, excluded: readonly number[]): void {
  const eligible = scores.length - 1 - new Set(excluded.filter((i) => i > 0 && i < scores.length)).size;
  const fault = (message: string) => new DeviceFault({ reason: 'garbage', message: `top-k: ${message}` });
  if (top.ids.length !== Math.min(k, eligible)) throw fault(`${top.ids.length} results, expected ${Math.min(k, eligible)}`);
  for (let i = 0; i < top.ids.length; i++) {
    const id = top.ids[i];
    if (!(id >= 1 && id < scores.length)) throw fault(`id ${id} is not an item`);
    // half-float textures (some mobile GPUs) round the values they carry
    if (Math.abs(top.scores[i] - scores[id]) > 1e-3 * Math.max(1, Math.abs(scores[id]))) throw fault(`item ${id} came back with score ${top.scores[i]}, not ${scores[id]}`);
    if (i > 0 && top.scores[i] > top.scores[i - 1]) throw fault('results out of order');
  }
}

/**
 * A top-k streamed without a full row (Scorer.topK) checked as far as it can be: as many results
 * as there are eligible items, distinct real ids, finite scores, best first, and (on a GPU) not
 * all one value, what a lost device's zeros give.
 */
export function checkStreamedTopK(top: TopK, numItems: number, k: number, excluded: ReadonlySet<number>, onGpu: boolean): void {
  let gone = 0;
  for (const id of excluded) if (id >= 1 && id <= numItems) gone++;
  const fault = (message: string) => new DeviceFault({ reason: 'garbage', message: `top-k: ${message}` });
  if (top.ids.length !== Math.min(k, numItems - gone)) throw fault(`${top.ids.length} results, expected ${Math.min(k, numItems - gone)}`);
  const ids = new Set<number>();
  for (let i = 0; i < top.ids.length; i++) {
    const id = top.ids[i];
    if (!(id >= 1 && id <= numItems) || excluded.has(id) || ids.has(id)) throw fault(`id ${id} is not an eligible item or comes twice`);
    ids.add(id);
    if (!Number.isFinite(top.scores[i])) throw fault(`item ${id} scored ${top.scores[i]}`);
    if (i > 0 && top.scores[i] > top.scores[i - 1]) throw fault('results out of order');
  }
  if (top.ids.length > 1 && (onGpu || top.scores[0] === 0) && top.scores[0] === top.scores[top.scores.length - 1]) throw fault(`all ${top.ids.length} scored ${top.scores[0]}`);
}

export interface GuardHooks {
  runtime: RuntimeConfig;
  /** the served model's scoring shape, so `auto` chooses the next backend by the same measurement */
  shape?: ScoringShape;
  /** the backend serving when the guard starts */
  backend: BackendName;
  /** rebuild whatever lives on the device (the scorer) on the backend `report` chose, and free the old */
  rebuild(report: BackendReport): Promise<void>;
  /** the move is done: `report` serves from now on */
  changed(report: BackendReport, lost: LossInfo): void;
}

/** What the guard needs from runtime/; tests hand it fakes. */
export interface GuardDeps {
  select: typeof selectBackend;
  watch: typeof watchDeviceLoss;
  lost: typeof deviceLost;
}

interface Epoch {
  backend: BackendName;
  /** resolves when this backend's device is lost */
  lost: Promise<LossInfo>;
  unwatch(): void;
}

export class DeviceGuard {
  private epoch: Epoch;
  /** backends that lost their device or failed a pass in this session: never chosen again */
  private readonly failed = new Set<BackendName>();
  private recovering?: Promise<void>;
  /** set once every backend has failed: later calls get it at once instead of hanging on a dead device */
  private dead?: MolarError;
  private stopped = false;

  constructor(
    private readonly hooks: GuardHooks,
    private readonly deps: GuardDeps = { select: selectBackend, watch: watchDeviceLoss, lost: deviceLost },
  ) {
    this.epoch = this.watch(hooks.backend);
  }

  /**
   * Runs `pass` (work on the device that may throw a DeviceFault) and returns its result. When the
   * device goes during it, or the pass throws anything but a MolarError (those are about the input or
   * the bundle, not the device), moves to the next backend and runs it again there: once per move,
   * until it succeeds or no backend is left (DEVICE_LOST).
   */
  async run<T>(pass: () => Promise<T>): Promise<T> {
    for (;;) {
      while (this.recovering) await this.recovering.catch(() => undefined);
      if (this.dead) throw this.dead;
      if (this.stopped) throw new MolarError('DISPOSED', 'this Recommender was disposed; load a new one');
      const epoch = this.epoch;
      try {
        if (this.deps.lost()) throw new DeviceFault({ reason: 'lost', message: `the ${epoch.backend} device is lost` });
        const work = pass();
        work.catch(() => undefined); // a pass that fails after the loss won the race must not go unhandled
        // a lost WebGL context can leave a read pending forever: the loss event ends the wait
        return await Promise.race([work, epoch.lost.then((info) => Promise.reject(new DeviceFault(info)))]);
      } catch (e) {
        if (isMolarError(e)) throw e;
        const info = e instanceof DeviceFault ? e.info : { reason: 'failed', message: `a pass failed on ${epoch.backend}: ${String(e)}` };
        await this.recover(epoch, info);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.epoch.unwatch();
  }

  private watch(backend: BackendName): Epoch {
    let fire!: (info: LossInfo) => void;
    const lost = new Promise<LossInfo>((resolve) => (fire = resolve));
    const epoch: Epoch = { backend, lost, unwatch: () => {} };
    epoch.unwatch = this.deps.watch((info) => {
      fire(info);
      // recover now even with no pass running, so the next one finds a working backend; a
      // failure is kept in `dead` for that next call
      this.recover(epoch, info).catch(() => undefined);
    });
    return epoch;
  }

  /** Moves off `epoch`'s backend, unless that already happened; one move at a time, shared by every caller. */
  private recover(epoch: Epoch, info: LossInfo): Promise<void> {
    if (epoch !== this.epoch || this.stopped) return this.recovering ?? Promise.resolve();
    this.recovering ??= this.moveOn(epoch, info).finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  private async moveOn(epoch: Epoch, info: LossInfo): Promise<void> {
    epoch.unwatch();
    this.failed.add(epoch.backend);
    for (;;) {
      let report: BackendReport;
      try {
        report = await this.deps.select('auto', this.hooks.runtime, [...this.failed], { shape: this.hooks.shape });
      } catch (e) {
        this.dead = new MolarError('DEVICE_LOST', `the ${epoch.backend} device was lost (${info.message}) and no other backend could take over: ${(e as Error).message}`, { cause: e });
        throw this.dead;
      }
      if (this.stopped) return;
      try {
        await this.hooks.rebuild(report);
      } catch {
        this.failed.add(report.backend); // the new device failed too before serving anything: next one
        continue;
      }
      this.epoch = this.watch(report.backend);
      this.hooks.changed(report, info);
      return;
    }
  }
}
