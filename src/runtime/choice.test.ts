import { describe, expect, it } from 'vitest';
import { BACKEND_NAMES } from '../config.js';
import { chooseBackend, softwareReason, type Candidate } from './choice.js';

const ORDER = BACKEND_NAMES;
const SWIFTSHADER = 'software renderer "SwiftShader Device (Subzero)"';

describe('softwareReason', () => {
  it('names the software renderer in adapter info or a WebGL renderer string', () => {
    expect(softwareReason(['google', 'swiftshader', '', 'SwiftShader Device (Subzero)'])).toBe('software renderer "swiftshader"');
    expect(softwareReason(['ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)'])).toContain('SwiftShader');
    expect(softwareReason(['llvmpipe (LLVM 15.0.6, 256 bits)'])).toContain('llvmpipe');
    expect(softwareReason(['Microsoft Basic Render Driver'])).toContain('Basic Render Driver');
  });

  it('takes isFallbackAdapter over the strings, and calls real GPUs hardware', () => {
    expect(softwareReason(['nvidia', 'ampere'], true)).toBe('isFallbackAdapter is true');
    expect(softwareReason(['nvidia', 'ampere', undefined, 'NVIDIA GeForce RTX 3060'])).toBeUndefined();
    expect(softwareReason(['ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)'])).toBeUndefined();
    expect(softwareReason([])).toBeUndefined();
  });
});

describe('chooseBackend', () => {
  it('serves on the fastest measured hardware candidate, not the first in order', () => {
    const c: Candidate[] = [
      { backend: 'webgpu', ok: true, ms: 4.1 },
      { backend: 'webgl', ok: true, ms: 2.5 },
      { backend: 'wasm', ok: true, ms: 3.2 },
    ];
    const pick = chooseBackend(c, ORDER)!;
    expect(pick.backend).toBe('webgl');
    expect(pick.why).toBe('webgl was fastest at 2.50 ms per scoring pass, vs webgpu 4.10 ms, wasm 3.20 ms');
  });

  it('skips a software adapter even when it measured faster, and says so', () => {
    const c: Candidate[] = [
      { backend: 'webgpu', ok: true, software: SWIFTSHADER, ms: 1 },
      { backend: 'webgl', ok: false, software: 'software renderer "SwiftShader"' },
      { backend: 'wasm', ok: true, ms: 3.2 },
      { backend: 'cpu', ok: true, ms: 2 },
    ];
    const pick = chooseBackend(c, ORDER)!;
    expect(pick.backend).toBe('wasm');
    expect(pick.why).toContain('wasm (3.20 ms per scoring pass) is the only hardware backend that runs');
    expect(pick.why).toContain(`skipped as software: webgpu (${SWIFTSHADER})`);
  });

  it('lets software adapters and cpu compete when asked to', () => {
    const c: Candidate[] = [
      { backend: 'webgpu', ok: true, software: SWIFTSHADER, ms: 1 },
      { backend: 'wasm', ok: true, ms: 3.2 },
    ];
    expect(chooseBackend(c, ORDER, true)!.backend).toBe('webgpu');
  });

  it('falls to the first software adapter, then cpu, only when no hardware backend runs', () => {
    const sw: Candidate[] = [
      { backend: 'webgpu', ok: false, software: SWIFTSHADER },
      { backend: 'webgl', ok: true, software: 'software renderer "llvmpipe"' },
      { backend: 'wasm', ok: false },
      { backend: 'cpu', ok: true },
    ];
    const pick = chooseBackend(sw, ORDER)!;
    expect(pick.backend).toBe('webgl');
    expect(pick.why).toBe('webgl is a software adapter (software renderer "llvmpipe"), chosen because no hardware backend runs');
    expect(chooseBackend([{ backend: 'wasm', ok: false }, { backend: 'cpu', ok: true }], ORDER)!.backend).toBe('cpu');
  });

  it('breaks timing ties and unmeasured choices by the fallback order, and is null when nothing runs', () => {
    const tie: Candidate[] = [
      { backend: 'wasm', ok: true, ms: 2 },
      { backend: 'webgl', ok: true, ms: 2 },
    ];
    expect(chooseBackend(tie, ORDER)!.backend).toBe('webgl');
    expect(chooseBackend(tie, ['wasm', 'webgl'])!.backend).toBe('wasm');
    const unmeasured = chooseBackend([{ backend: 'wasm', ok: true }, { backend: 'webgl', ok: true }], ORDER)!;
    expect(unmeasured.backend).toBe('webgl');
    expect(unmeasured.why).toContain('none was measured');
    expect(chooseBackend([{ backend: 'wasm', ok: false }], ORDER)).toBeNull();
  });
});
