// The one place that reads the environment. Every option has a documented default (README's
// configuration table mirrors OPTIONS below); invalid values fail start-up with a message that
// names the variable, instead of surfacing later as a confusing runtime error.
import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** SQLite file path or postgres:// URL. */
  databaseUrl: string;
  /** 32-byte key for AES-256-GCM, or null to load/generate `<dataDir>/secret.key`. */
  secretKey: Buffer | null;
  adminUsername: string | null;
  adminPassword: string | null;
  tokenTtlSec: number;
  tokenMaxTtlSec: number;
  logLevel: string;
  bodyLimitBytes: number;
  pgPoolSize: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Documentation of every option; rendered into README by hand, kept here as the source. */
export const OPTIONS: Record<string, { default: string; doc: string }> = {
  PORT: { default: '8080', doc: 'HTTP port of the API and console' },
  HOST: { default: '0.0.0.0', doc: 'Interface to listen on' },
  HOOKRELAY_DATA_DIR: { default: './data', doc: 'Directory for the SQLite database and the generated secret key' },
  HOOKRELAY_DATABASE_URL: { default: '<data dir>/hookrelay.db', doc: 'SQLite file path or postgres:// URL' },
  HOOKRELAY_SECRET_KEY: { default: 'generated into <data dir>/secret.key', doc: '32-byte key (64 hex chars or base64) encrypting secrets at rest' },
  HOOKRELAY_ADMIN_USERNAME: { default: 'admin', doc: 'Administrator created on first start' },
  HOOKRELAY_ADMIN_PASSWORD: { default: 'random, printed once', doc: 'Password of that administrator' },
  HOOKRELAY_TOKEN_TTL_SEC: { default: '3600', doc: 'Bearer token lifetime when the request names none' },
  HOOKRELAY_TOKEN_MAX_TTL_SEC: { default: '2592000', doc: 'Longest validity_time_in_sec accepted' },
  HOOKRELAY_LOG_LEVEL: { default: 'info', doc: 'pino log level' },
  HOOKRELAY_BODY_LIMIT_BYTES: { default: '1048576', doc: 'Largest JSON request body (413 above)' },
  HOOKRELAY_PG_POOL_SIZE: { default: '10', doc: 'PostgreSQL connections per process' },
};

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

export function parseSecretKey(raw: string, name = 'HOOKRELAY_SECRET_KEY'): Buffer {
  const trimmed = raw.trim();
  const buf = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (buf.length !== 32) throw new ConfigError(`${name} must be 32 bytes as 64 hex characters or base64`);
  return buf;
}

export function loadConfig(env: Env = process.env): Config {
  const dataDir = path.resolve(env.HOOKRELAY_DATA_DIR || './data');
  const databaseUrl = env.HOOKRELAY_DATABASE_URL || path.join(dataDir, 'hookrelay.db');
  const logLevel = env.HOOKRELAY_LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`HOOKRELAY_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  const tokenMaxTtlSec = int(env, 'HOOKRELAY_TOKEN_MAX_TTL_SEC', 2_592_000, 60, 31_536_000);
  return {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir,
    databaseUrl,
    secretKey: env.HOOKRELAY_SECRET_KEY ? parseSecretKey(env.HOOKRELAY_SECRET_KEY) : null,
    adminUsername: env.HOOKRELAY_ADMIN_USERNAME || null,
    adminPassword: env.HOOKRELAY_ADMIN_PASSWORD || null,
    tokenTtlSec: int(env, 'HOOKRELAY_TOKEN_TTL_SEC', 3600, 1, tokenMaxTtlSec),
    tokenMaxTtlSec,
    logLevel,
    bodyLimitBytes: int(env, 'HOOKRELAY_BODY_LIMIT_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    pgPoolSize: int(env, 'HOOKRELAY_PG_POOL_SIZE', 10, 1, 500),
  };
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
