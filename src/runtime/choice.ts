/**
 * How `backend: 'auto'` chooses, as pure functions over what the walk found (backend.ts gathers the
 * facts: adapter strings, smoke tests, timings). Kept apart so the rules are tested without a GPU.
 */
import type { BackendName } from '../config.js';

/** What the walk knows about one backend when the choice is made. */
export interface Candidate {
  backend: BackendName;
  /** initialised and passed the smoke test */
  ok: boolean;
  /** why it renders in software (SwiftShader, llvmpipe, a fallback adapter); absent for hardware */
  software?: string;
  /** median ms of one warm scoring pass at the bundle's shape, when measured */
  ms?: number;
}

/** The winner and one sentence on why, for the backend report. */
export interface Choice {
  backend: BackendName;
  why: string;
}

/**
 * Renderer / adapter names that mean the GPU is emulated on the CPU: Chrome's SwiftShader, Mesa's
 * llvmpipe / softpipe / lavapipe, Windows' Basic Render Driver. On those, every WebGPU or WebGL op
 * is a shader run by the CPU and the scoring op is tens of times slower than wasm (issue 24: 77 ms
 * vs 3.2 ms per recommendation on SwiftShader).
 */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render driver/i;

/**
 * Why the adapter or renderer is software, or undefined for hardware. `fallback` is WebGPU's
 * `GPUAdapter.info.isFallbackAdapter` (older Chromium: `adapter.isFallbackAdapter`); `names` the
 * adapter info strings (vendor, architecture, device, description) or WebGL's unmasked renderer.
 */
export function softwareReason(names: (string | undefined)[], fallback = false): string | undefined {
  if (fallback) return 'isFallbackAdapter is true';
  const hit = names.find((n) => n && SOFTWARE_RENDERERS.test(n));
  return hit ? `software renderer "${hit}"` : undefined;
}

const fmt = (ms: number) => `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;

/**
 * The backend `auto` serves on. Hardware candidates (GPU backends on a real adapter, and wasm) that
 * passed the smoke test compete first: the fastest measured one wins (ties and unmeasured ones go
 * by `order`). Software adapters and cpu compete only when no hardware candidate runs, and then the
 * first of them in `order` that runs wins. With `compete` (runtime.software: 'compete') they are
 * measured candidates like the rest. Null when nothing ran.
 */
export function chooseBackend(candidates: Candidate[], order: readonly BackendName[], compete = false): Choice | null {
  const rank = (b: BackendName) => order.indexOf(b);
  const ok = candidates.filter((c) => c.ok).sort((a, b) => rank(a.backend) - rank(b.backend));
  const lastResort = (c: Candidate) => !compete && (c.software !== undefined || c.backend === 'cpu');
  const hardware = ok.filter((c) => !lastResort(c));
  if (hardware.length === 0) {
    const first = ok[0];
    if (!first) return null;
    const what = first.software ? `a software adapter (${first.software})` : 'the last resort';
    return { backend: first.backend, why: `${first.backend} is ${what}, chosen because no hardware backend runs` };
  }
  const measured = hardware.filter((c) => c.ms !== undefined);
  if (measured.length === 0) return { backend: hardware[0].backend, why: `${hardware[0].backend} is the first hardware backend in order that runs (none was measured)` };
  // stable sort: equal times keep the fallback order
  const best = [...measured].sort((a, b) => a.ms! - b.ms!)[0];
  const others = measured.filter((c) => c !== best).map((c) => `${c.backend} ${fmt(c.ms!)}`);
  const skipped = candidates.filter((c) => lastResort(c) && c.software !== undefined).map((c) => `${c.backend} (${c.software})`);
  const why =
    (others.length ? `${best.backend} was fastest at ${fmt(best.ms!)} per scoring pass, vs ${others.join(', ')}` : `${best.backend} (${fmt(best.ms!)} per scoring pass) is the only hardware backend that runs`) +
    (skipped.length ? `; skipped as software: ${skipped.join(', ')}` : '');
  return { backend: best.backend, why };
}
