import { leaveOneOut } from '../data/split.js';
import type { BuiltDataset } from '../data/sequences.js';
import type { CatalogItem, LeaveOneOutSplit } from '../data/types.js';
import { MolarError } from '../errors.js';
import { ITEMS, itemsStep, type ItemsStepOptions } from '../items/build-step-node.js';
import { cooccurrenceStep, type CooccurrenceStepOptions } from '../models/cooccurrence/build-step.js';
import type { Artifact } from './artifact.js';
import type { Manifest, ModelEntry, ServedChoice } from './manifest.js';
import { writeBundle, type BundleFile } from './write.js';

/**
 * What every build step reads and adds to. Bytes go to `files` and manifest entries to `models`;
 * what a later step needs from an earlier one (the item table, float item vectors, a trained
 * model) goes through `put` / `get` under a typed {@link Artifact} key.
 */
export interface BuildContext {
  readonly name: string;
  readonly dataset: BuiltDataset;
  readonly catalog: CatalogItem[];
  /** folder relative catalog image paths are resolved against */
  readonly catalogDir?: string;
  readonly split: LeaveOneOutSplit;
  /** sequences models are fitted on: split.train by default, full sequences with trainOn 'all' */
  readonly trainSequences: Int32Array[];
  readonly trainedOn: 'leave-one-out-train' | 'all';
  /**
   * the ranking protocol models are validated and chosen under: true (default) removes each user's
   * history items from the ranking; false keeps them (repeats are recommendable, `--keep-seen`)
   */
  readonly filterSeen: boolean;
  /**
   * the running step's share of the build's training budget (`molar build --minutes`), in minutes:
   * what is left of the budget split evenly over the `trains` steps still to run (sasrec, then molar
   * gets the rest); undefined: no limit.
   */
  readonly trainMinutes?: number;
  files: Map<string, BundleFile>;
  models: ModelEntry[];
  /** the model the bundle serves, chosen on validation (the `choose` step sets it); unset: priority order */
  served?: ServedChoice;
  /** the steps that have run, in order: wall minutes and the model kinds each added */
  readonly finished: readonly FinishedStep[];
  /** hands `value` to later steps; only the key's producer may put it, once. Readers must not mutate it. */
  put<T>(key: Artifact<T>, value: T): void;
  /** the value under `key`; a BAD_CONFIG error naming the key and its producer when there is none */
  get<T>(key: Artifact<T>): T;
  /** as get, but undefined when the producer is not in this build (the reader lists it in `afterIfPresent`) */
  find<T>(key: Artifact<T>): T | undefined;
  log(message: string): void;
  /** report progress of long work (done of total units) under the step's name */
  progress(done: number, total: number): void;
}

export interface FinishedStep {
  name: string;
  minutes: number;
  /** kinds of the model entries it pushed */
  kinds: string[];
}

/**
 * One stage of `molar build`. Steps declare the steps they need by name; {@link orderSteps} runs
 * each after those, and otherwise in the order given. Options are bound when a step is made, by a
 * factory beside it (`cooccurrenceStep({ window: 5 })`), each with its own options type.
 */
export interface BuildStep {
  readonly name: string;
  /** steps that must run first; each must be in the build */
  readonly after?: readonly string[];
  /** steps that run first when they are in the build, for opt-in ones such as item-vectors (`--encode`) */
  readonly afterIfPresent?: readonly string[];
  /** fits a model by training (minutes of work): `molar build --no-train` leaves such steps out */
  readonly trains?: boolean;
  run(ctx: BuildContext): Promise<void>;
}

/** Steps of a plain `molar build`; other modules add theirs: `[...defaultSteps(), sasrecBuildStep]`. */
export function defaultSteps(o: { items?: ItemsStepOptions; cooccurrence?: CooccurrenceStepOptions } = {}): BuildStep[] {
  return [itemsStep(o.items), cooccurrenceStep(o.cooccurrence)];
}

/**
 * The run order: every step after the steps it names, ties in the order given (a step nobody
 * constrains keeps its place). A repeated name, an `after` step not in the list or a cycle is a
 * BAD_CONFIG error naming the step.
 */
export function orderSteps(steps: readonly BuildStep[]): BuildStep[] {
  const names = new Set<string>();
  for (const s of steps) {
    if (names.has(s.name)) throw new MolarError('BAD_CONFIG', `build step "${s.name}" appears twice`, { field: 'steps' });
    names.add(s.name);
  }
  const before = new Map<string, string[]>();
  for (const s of steps) {
    const unknown = s.after?.find((d) => !names.has(d));
    if (unknown !== undefined) {
      throw new MolarError('BAD_CONFIG', `build step "${s.name}" runs after "${unknown}", which is not in this build (steps: ${[...names].join(', ')})`, { field: 'steps' });
    }
    before.set(s.name, [...(s.after ?? []), ...(s.afterIfPresent ?? []).filter((d) => names.has(d))]);
  }
  const done = new Set<string>();
  const order: BuildStep[] = [];
  while (order.length < steps.length) {
    const next = steps.find((s) => !done.has(s.name) && before.get(s.name)!.every((d) => done.has(d)));
    if (!next) throw cycleError(steps.filter((s) => !done.has(s.name)).map((s) => s.name), before, done);
    done.add(next.name);
    order.push(next);
  }
  return order;
}

/** Every step left waits on another one left, so following "runs after" from any of them loops. */
function cycleError(left: string[], before: Map<string, string[]>, done: Set<string>): MolarError {
  const path: string[] = [];
  let at = left[0];
  while (!path.includes(at)) {
    path.push(at);
    at = before.get(at)!.find((d) => !done.has(d))!;
  }
  const loop = [...path.slice(path.indexOf(at)), at];
  return new MolarError('BAD_CONFIG', `build step "${at}" is in a cycle: ${loop.map((n) => `"${n}"`).join(' runs after ')}`, { field: 'steps' });
}

export interface BuildBundleOptions {
  out: string;
  name?: string;
  dataset: BuiltDataset;
  catalog: CatalogItem[];
  catalogDir?: string;
  /** the steps to run (default {@link defaultSteps}), in any order their `after` allows */
  steps?: readonly BuildStep[];
  /** fit on leave-one-out training prefixes (default, evaluable) or on all data (production) */
  trainOn?: 'leave-one-out-train' | 'all';
  /** BuildContext.trainMinutes */
  trainMinutes?: number;
  /** BuildContext.filterSeen (default true) */
  filterSeen?: boolean;
  overwrite?: boolean;
  source?: string;
  kcore?: number;
  log?(message: string): void;
  /** step start / progress, for the CLI's bars */
  onProgress?(step: string, done: number, total: number): void;
}

/** Run the steps in {@link orderSteps} order, then write the bundle atomically. Returns the manifest written. */
export async function buildBundle(opts: BuildBundleOptions): Promise<Manifest> {
  const steps = orderSteps(opts.steps ?? defaultSteps());
  const split = leaveOneOut(opts.dataset.sequences);
  const trainedOn = opts.trainOn ?? 'leave-one-out-train';
  const artifacts = new Map<string, unknown>();
  const ran = new Set<string>();
  let trainSpentMs = 0;
  const finished: FinishedStep[] = [];
  let current = '';
  const reader = () => (current === 'write' ? 'writing the bundle' : `build step "${current}"`);
  const missing = (key: Pick<Artifact<unknown>, 'name' | 'producer'>): MolarError => {
    const why = !steps.some((s) => s.name === key.producer)
      ? 'which is not in this build'
      : ran.has(key.producer)
        ? 'which ran without putting it'
        : `which has not run yet: list it in the reader's after`;
    return new MolarError('BAD_CONFIG', `${reader()} needs artifact "${key.name}" from build step "${key.producer}", ${why}`, { field: 'steps' });
  };
  const ctx: BuildContext = {
    name: opts.name ?? opts.dataset.name,
    dataset: opts.dataset,
    catalog: opts.catalog,
    catalogDir: opts.catalogDir,
    split,
    trainSequences: trainedOn === 'all' ? opts.dataset.sequences : split.train,
    trainedOn,
    filterSeen: opts.filterSeen ?? true,
    get trainMinutes() {
      if (opts.trainMinutes === undefined) return undefined;
      const left = steps.filter((s) => s.trains && !ran.has(s.name)).length;
      return Math.max(0, opts.trainMinutes - trainSpentMs / 60_000) / Math.max(1, left);
    },
    files: new Map(),
    models: [],
    finished,
    put(key, value) {
      if (key.producer !== current) throw new MolarError('BAD_CONFIG', `${reader()} put artifact "${key.name}", which only build step "${key.producer}" may put`, { field: 'steps' });
      if (artifacts.has(key.name)) throw new MolarError('BAD_CONFIG', `build step "${current}" put artifact "${key.name}" twice`, { field: 'steps' });
      artifacts.set(key.name, value);
    },
    get<T>(key: Artifact<T>): T {
      if (!artifacts.has(key.name)) throw missing(key);
      // only put() stores, and it took a T for a key of this name (declare each key once, beside its producer)
      return artifacts.get(key.name) as T;
    },
    find(key) {
      return artifacts.has(key.name) || steps.some((s) => s.name === key.producer) ? ctx.get(key) : undefined;
    },
    log: opts.log ?? (() => {}),
    progress: (done, total) => opts.onProgress?.(current, done, total),
  };
  for (const step of steps) {
    current = step.name;
    opts.onProgress?.(step.name, 0, 1);
    const t0 = Date.now();
    const before = ctx.models.length;
    await step.run(ctx);
    const ms = Date.now() - t0;
    if (step.trains) trainSpentMs += ms;
    finished.push({ name: step.name, minutes: ms / 60_000, kinds: ctx.models.slice(before).map((m) => m.kind) });
    ran.add(step.name);
    opts.onProgress?.(step.name, 1, 1);
  }
  current = 'write';
  const items = ctx.get(ITEMS);
  if (items.length !== opts.dataset.numItems) {
    throw new MolarError('BAD_CONFIG', `the "items" step produced ${items.length} item records for ${opts.dataset.numItems} items`, { field: 'steps' });
  }
  return writeBundle({
    out: opts.out,
    name: ctx.name,
    items,
    files: ctx.files,
    models: ctx.models,
    served: ctx.served,
    overwrite: opts.overwrite,
    stats: {
      users: opts.dataset.users.length,
      interactions: opts.dataset.interactions,
      ...(opts.source ? { source: opts.source } : {}),
      trainedOn,
      ...(opts.kcore ? { kcore: opts.kcore } : {}),
    },
    onFile: (d, t) => opts.onProgress?.('write', d, t),
  });
}
