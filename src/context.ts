// What every part of a running HookRelay process shares, built once at start-up.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { Store } from './store/types.ts';

export interface AppContext {
  config: Config;
  store: Store;
  box: SecretBox;
  log: Logger;
  /** Called after events are committed, to wake this process's worker at once. */
  onPublished?: () => void;
}
