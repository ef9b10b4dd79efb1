import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

/**
 * JSON logger (Powertools): one line per event, with `service`, level and whatever keys
 * the caller appends (`request_id`, `task_id`). Never pass secrets or SQL text in.
 *
 * @example
 * const log = createLogger({ level: 'INFO' }).createChild({ persistentKeys: { task_id } });
 */
export function createLogger(opts: { level?: string; service?: string } = {}): Logger {
  return new Logger({
    serviceName: opts.service ?? 'optiinfra',
    logLevel: (opts.level ?? 'INFO') as 'INFO',
  });
}
