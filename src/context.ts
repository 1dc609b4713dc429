// What every part of a running HookRelay process shares, built once at start-up.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Metrics } from './observability/metrics.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { EventRow, JobRow, Store } from './store/types.ts';

export interface AppContext {
  config: Config;
  store: Store;
  box: SecretBox;
  log: Logger;
  metrics: Metrics;
  /**
   * Called after jobs are committed, to wake this process's worker at once; with the webhooks of
   * the jobs when the caller knows them (see Worker.notify).
   */
  onPublished?: (webhookIds?: Iterable<string>) => void;
  /**
   * This process's worker, when it runs one: a publish leases it the new jobs it has room for
   * before the commit (reserve), then hands them over with their events (start), or gives the
   * reservation back when the commit failed or the event was a duplicate (cancel).
   */
  dispatch?: {
    /** Whether the worker would take one more job of this webhook now. */
    hasRoom(webhookId: string): boolean;
    /** Leases the job to the worker (checked with hasRoom first); started by start() after the commit. */
    reserve(job: JobRow): void;
    start(jobs: JobRow[], events: EventRow[]): void;
    cancel(jobs: JobRow[]): void;
  };
}
