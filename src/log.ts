// JSON logs with pino. Secret-bearing paths are redacted here, once, so no call site can leak them.
import pino from 'pino';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.token',
  '*.value',
  '*.BEARER_TOKEN',
];

export function createLogger(level: string) {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '******' } });
}
