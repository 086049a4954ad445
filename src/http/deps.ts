import type { Config } from '../config.js';
import type { AccountDeps } from '../domain/accounts.js';
import type { Logger } from '../logger.js';

/** What the HTTP and web drivers receive from `compose.ts`. */
export interface AppDeps extends AccountDeps {
  config: Config;
  logger: Logger;
  /** True once the database answers. */
  ping(): Promise<boolean>;
  /** Whether mail leaves through SMTP or stays in the local outbox. */
  mailMode: 'smtp' | 'local';
}
