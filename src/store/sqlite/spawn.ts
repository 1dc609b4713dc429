// Starts a worker thread from a module next to this one, from the compiled build or from the
// TypeScript sources alike.
import { Worker, type ResourceLimits } from 'node:worker_threads';

const fromSources = import.meta.url.endsWith('.ts');

/**
 * `name` is the module's file name without extension. Run from the TypeScript sources (tests,
 * `npm run dev`), the thread must load tsx itself: loader hooks registered on the main thread do
 * not reach workers.
 */
export function spawnThread(name: string, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  const url = new URL(`./${name}${fromSources ? '.ts' : '.js'}`, import.meta.url);
  if (!fromSources) return new Worker(url, { workerData, resourceLimits });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData, resourceLimits });
}
