// The writer's side of the checkpoint thread (checkpoint-thread.ts); see wal-sync.ts for why
// checkpoints run there.
import type { Worker } from 'node:worker_threads';
import { spawnThread } from './spawn.ts';

/**
 * Runs PASSIVE checkpoints on its own thread and connection, one at a time. The thread starts
 * with the first checkpoint: a CLI command or a small database never pays for it.
 */
export class Checkpointer {
  private worker: Worker | null = null;
  private ready: Promise<boolean> | null = null;
  private running = false;
  private failed = false;
  private closed: Promise<void> | null = null;

  /** onDone: a checkpoint on the thread finished (called on the writer's thread). */
  constructor(
    private readonly file: string,
    private readonly onDone: () => void,
  ) {}

  /** Whether checkpoints can be handed to the thread (else the writer runs them). */
  get usable(): boolean {
    return !this.failed && !this.closed;
  }

  request(): void {
    if (this.running || !this.usable) return;
    this.running = true;
    this.start().postMessage('checkpoint');
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // A small heap: the thread holds one connection and runs one pragma at a time.
    const worker = spawnThread('checkpoint-thread', { file: this.file }, { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 });
    worker.unref();
    this.ready = new Promise((resolve) => {
      worker.on('message', (m: { ready?: true; error?: string }) => {
        if (m.ready) return resolve(true);
        this.running = false;
        if (m.error) this.failed = true;
        else this.onDone();
      });
      const gone = () => {
        this.failed = true;
        this.running = false;
        resolve(false);
      };
      worker.on('error', gone);
      worker.on('exit', gone);
    });
    this.worker = worker;
    return worker;
  }

  /** Closes its connection first, so the writer's is the last one and cleans up the WAL. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const worker = this.worker;
      if (!worker) return;
      if (!(await this.ready) || this.failed) return void (await worker.terminate());
      const bye = new Promise<void>((resolve) => {
        worker.on('message', (m: { closed?: true }) => m.closed && resolve());
        worker.on('exit', () => resolve());
      });
      worker.postMessage('close');
      await bye;
      await worker.terminate();
    })();
    return this.closed;
  }
}
