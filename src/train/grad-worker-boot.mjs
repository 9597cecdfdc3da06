// Worker entry in plain JS: a worker thread does not inherit the parent's tsx hooks, so it
// registers them itself before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./grad-worker.ts');
