// Worker-thread bootstrap: registers tsx (the sources are TypeScript, run without a build step), then loads
// the worker body. Spawned by pool.ts.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
