import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every non-test source file under src/models, and what it imports. */
function imports(dir: string): [file: string, spec: string][] {
  const out: [string, string][] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...imports(p));
    // a build step (build-step.ts) is the bridge from a model to the bundle format, run by `molar
    // build` only: it may name the build's types; the models themselves may not
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && e.name !== 'build-step.ts') {
      for (const m of readFileSync(p, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) out.push([p, m[1] ?? m[2]]);
    }
  }
  return out;
}

describe('models/ walls (ARCHITECTURE.md § 2)', () => {
  it('browser-side model code imports no Node module, CLI library, train/, cli/ or the bundle format', () => {
    const all = imports(path.resolve('src/models'));
    expect(all.length).toBeGreaterThan(10); // the scan found the imports
    const bad = all.filter(([, s]) => /^node:|^(fs|path|os|worker_threads|child_process|commander|cli-progress)$|\/(train|cli|bundle)\//.test(s));
    expect(bad).toEqual([]);
  });
});
