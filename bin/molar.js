#!/usr/bin/env node
// `molar`: an installed package runs the compiled CLI in dist/lib (`npm run build:lib`, which
// `npm pack` runs through prepack). A checkout, which has src/ beside bin/ (the package ships no
// src/), runs the TypeScript sources through tsx instead, even when dist/lib exists: the tests and
// the npm scripts that call bin/molar.js then always run the code as it is now, never a dist/lib
// built before the last edit.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/lib/cli/main.js');
}
