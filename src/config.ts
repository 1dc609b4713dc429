// The one place that reads the environment. Every option has a documented default (README's
// configuration table mirrors OPTIONS below); invalid values fail start-up with a message that
// names the variable, instead of surfacing later as a confusing runtime error.
import net from 'node:net';
import path from 'node:path';
import { parseAllowRule } from './delivery/ssrf-guard.ts';

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
  /**
   * Whose X-Forwarded-For and X-Forwarded-Proto to believe (Fastify's trustProxy): false, true
   * (any), or a comma-separated list of proxy addresses or CIDRs. Behind a proxy it gives the
   * sign-in throttle each client's address and the console's cookies their Secure flag.
   */
  trustProxy: boolean | string;
  /** A client's connection closes after this long without a byte either way (Fastify's connectionTimeout). */
  clientIdleTimeoutMs: number;
  pgPoolSize: number;
  /** SQLite only: run the connection on its own thread (see src/store/sqlite/threaded.ts). */
  sqliteThread: boolean;
  /** SQLite only: the delivery queue's layout (see src/store/sqlite/log-store.ts). */
  sqliteQueue: 'log' | 'jobs';
  /** PostgreSQL only: the delivery queue's layout (see src/store/postgres/log-store.ts). */
  pgQueue: 'log' | 'jobs';
  /** Days the delivery history is kept (src/services/retention.ts); 0 keeps it for ever. */
  retentionDays: number;
  /**
   * Attachment bytes held in memory at once, by the deliveries of a worker and, apart, by the
   * multipart publishes being read (src/delivery/byte-budget.ts).
   */
  attachmentMemoryBytes: number;
  /** A static bearer token that may read /metrics (besides administrators' tokens), or null. */
  metricsToken: string | null;
  /** A port of its own for /metrics (src/observability/metrics-server.ts), or null: none. */
  metricsPort: number | null;
  metricsHost: string;
  delivery: DeliveryConfig;
  storage: StorageConfig;
}

/** S3 storage destinations (seed 003): how the service reaches STS and S3. */
export interface StorageConfig {
  /** `assume-role`: own credentials from the AWS default provider chain, then sts:AssumeRole with
   * role_arn + external_id. `web-identity`: sts:AssumeRoleWithWebIdentity with an OIDC token file. */
  credentialsMode: 'assume-role' | 'web-identity';
  /** OIDC token file read before each AssumeRoleWithWebIdentity (web-identity mode only). */
  webIdentityTokenFile: string | null;
  /** Custom S3 endpoint (S3-compatible stores), or null for AWS. */
  s3Endpoint: string | null;
  /** Custom STS endpoint, or null for the regional AWS endpoint. */
  stsEndpoint: string | null;
  /** Path-style addressing (`<endpoint>/<bucket>/<key>`); default true with a custom S3 endpoint. */
  s3ForcePathStyle: boolean;
  /** Time all uploads of one delivery attempt may take. */
  uploadTimeoutMs: number;
}

export interface DeliveryConfig {
  timeoutMs: number;
  /** Delays before each retry, ms. */
  retryScheduleMs: number[];
  /** Raw HOOKRELAY_ALLOW_PRIVATE_TARGETS: '', 'true' or a CIDR list. */
  allowPrivateTargets: string;
  concurrency: number;
  perEndpointConcurrency: number;
  leaseMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  maxResponseBodyBytes: number;
  maxAttachmentBytes: number;
  idempotencyTtlMs: number;
  /** Base URL put into payloads (source.applicationUrl). */
  publicUrl: string;
  instanceId: string;
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
  HOOKRELAY_ADMIN_PASSWORD: { default: 'random, in <data dir>/initial-admin-password', doc: 'Password of that administrator' },
  HOOKRELAY_TOKEN_TTL_SEC: { default: '3600', doc: 'Bearer token lifetime when the request names none' },
  HOOKRELAY_TOKEN_MAX_TTL_SEC: { default: '2592000', doc: 'Longest validity_time_in_sec accepted' },
  HOOKRELAY_LOG_LEVEL: { default: 'info', doc: 'pino log level' },
  HOOKRELAY_BODY_LIMIT_BYTES: { default: '1048576', doc: 'Largest JSON request body (413 above)' },
  HOOKRELAY_CLIENT_IDLE_TIMEOUT_MS: { default: '60000', doc: 'A client connection that sends or receives nothing for this long is closed (a stalled upload held its attachment memory for good)' },
  HOOKRELAY_TRUST_PROXY: { default: 'false', doc: 'Behind a reverse proxy: `true`, or a comma-separated list of the proxies\' addresses or CIDRs, whose X-Forwarded-For and X-Forwarded-Proto are believed (the failed-sign-in throttle then counts per client, and console cookies are Secure over HTTPS)' },
  HOOKRELAY_METRICS_TOKEN: { default: '(none)', doc: 'A bearer token (at least 16 characters) that may read the Prometheus metrics at `/metrics`, for a scraper; administrators\' tokens may read them too' },
  HOOKRELAY_METRICS_PORT: { default: '(none)', doc: 'Serve `/metrics` on this port too, alone (for `worker` processes, which have no API port); without HOOKRELAY_METRICS_TOKEN it asks for no token there' },
  HOOKRELAY_METRICS_HOST: { default: '127.0.0.1', doc: 'Interface of HOOKRELAY_METRICS_PORT' },
  HOOKRELAY_PG_POOL_SIZE: { default: '10', doc: 'PostgreSQL connections per process (plus, in a process running a worker, two for claims and one holding its lanes of the event log)' },
  HOOKRELAY_SQLITE_QUEUE: { default: 'log', doc: 'SQLite: the delivery queue as an event log (log: events written once, a jobs row only for retries and replays) or as a jobs row per delivery (jobs)' },
  HOOKRELAY_PG_QUEUE: { default: 'log', doc: 'PostgreSQL: the delivery queue as an event log cut into lanes shared out among the worker processes (log) or as a jobs row per delivery (jobs)' },
  HOOKRELAY_SQLITE_THREAD: { default: 'true', doc: 'SQLite: run the database connection on its own thread, beside the event loop (false: on the event loop)' },
  HOOKRELAY_RETENTION_DAYS: { default: '30', doc: 'Days an event and its delivery history (jobs, attempts, attachments) are kept once all its jobs are over (delivered or failed); then deleted, dead-letter entries included. 0 keeps everything' },
  HOOKRELAY_DELIVERY_TIMEOUT_MS: { default: '5000', doc: 'Total time an attempt may take (connect to last response byte)' },
  HOOKRELAY_RETRY_SCHEDULE: { default: '60,300,900', doc: 'Seconds before each retry, comma-separated; after the last the job is FAILED' },
  HOOKRELAY_ALLOW_PRIVATE_TARGETS: { default: '(none)', doc: '`true`, or a comma-separated CIDR list, to let deliveries reach private/loopback/link-local addresses' },
  HOOKRELAY_WORKER_CONCURRENCY: { default: '256', doc: 'Jobs a worker process holds at once (running or waiting for their endpoint)' },
  HOOKRELAY_ENDPOINT_CONCURRENCY: { default: '32', doc: 'Attempts in flight per webhook per worker process' },
  HOOKRELAY_LEASE_MS: { default: '30000', doc: 'How long a claimed job is reserved; an expired lease is reclaimed' },
  HOOKRELAY_POLL_INTERVAL_MS: { default: '250', doc: 'Idle worker poll interval' },
  HOOKRELAY_SHUTDOWN_GRACE_MS: { default: '10000', doc: 'On SIGTERM, how long in-flight attempts may finish' },
  HOOKRELAY_MAX_ATTACHMENT_BYTES: { default: '26214400', doc: 'Largest total attachment size per event (413 above)' },
  HOOKRELAY_ATTACHMENT_MEMORY_MB: { default: '256', doc: 'Attachment data held in memory at once by the deliveries in flight (each counted twice: the files and the request built from them), and apart by the multipart publishes being read; the rest wait their turn' },
  HOOKRELAY_PUBLIC_URL: { default: 'http://localhost:<PORT>', doc: 'Base URL of this service, put into payloads' },
  HOOKRELAY_INSTANCE_ID: { default: 'hookrelay', doc: 'Instance id put into payloads (source.instanceId)' },
  // Read by `npm start` (package.json), not here: a V8 flag must be given before the process starts.
  // Read by bin/hookrelay.mjs, not here.
  HOOKRELAY_RUN_SOURCES: { default: 'false', doc: '`true`: the hookrelay command runs the TypeScript sources through tsx even when dist/ is a build of them (development)' },
  HOOKRELAY_MAX_HEAP_MB: { default: '256', doc: 'V8 heap limit that npm start passes to node (--max-old-space-size)' },
  HOOKRELAY_AWS_CREDENTIALS_MODE: { default: 'assume-role', doc: 'How S3 storage destinations get credentials: `assume-role` (the service\'s own credentials from the AWS default provider chain, then sts:AssumeRole with role_arn and external_id; AWS-hosted) or `web-identity` (sts:AssumeRoleWithWebIdentity with the OIDC token file, no long-lived keys; e.g. GCP)' },
  HOOKRELAY_WEB_IDENTITY_TOKEN_FILE: { default: '$AWS_WEB_IDENTITY_TOKEN_FILE', doc: 'OIDC token file for `web-identity` mode, re-read for every STS call (required in that mode)' },
  HOOKRELAY_S3_ENDPOINT: { default: '(AWS)', doc: 'S3 endpoint URL for S3-compatible stores' },
  HOOKRELAY_STS_ENDPOINT: { default: '(AWS, regional)', doc: 'STS endpoint URL' },
  HOOKRELAY_S3_FORCE_PATH_STYLE: { default: '`true` with a custom S3 endpoint, else `false`', doc: 'Path-style S3 addressing (`<endpoint>/<bucket>/<key>`)' },
  HOOKRELAY_S3_UPLOAD_TIMEOUT_MS: { default: '20000', doc: 'Time the uploads of one delivery attempt may take; keep it plus the delivery timeout below the lease' },
};

function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], dflt: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!values.includes(raw as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

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
  // A URL of another scheme (a typo of postgres://, mysql://) was taken for a SQLite file's path:
  // the service started on a new, empty database (operator audit, 2026-12-08).
  if ((/^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl) || /^(file|sqlite):/i.test(databaseUrl)) && !isPostgresUrl(databaseUrl)) {
    throw new ConfigError(`HOOKRELAY_DATABASE_URL must be a postgres:// (or postgresql://) URL or a SQLite file path, got "${redactedUrl(databaseUrl)}"`);
  }
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
    trustProxy: trustProxy(env.HOOKRELAY_TRUST_PROXY),
    clientIdleTimeoutMs: int(env, 'HOOKRELAY_CLIENT_IDLE_TIMEOUT_MS', 60_000, 1000, 3_600_000),
    pgPoolSize: int(env, 'HOOKRELAY_PG_POOL_SIZE', 10, 1, 500),
    sqliteThread: bool(env, 'HOOKRELAY_SQLITE_THREAD', true),
    sqliteQueue: oneOf(env, 'HOOKRELAY_SQLITE_QUEUE', ['log', 'jobs'] as const, 'log'),
    pgQueue: oneOf(env, 'HOOKRELAY_PG_QUEUE', ['log', 'jobs'] as const, 'log'),
    retentionDays: int(env, 'HOOKRELAY_RETENTION_DAYS', 30, 0, 36_500),
    attachmentMemoryBytes: int(env, 'HOOKRELAY_ATTACHMENT_MEMORY_MB', 256, 16, 1_048_576) * 1024 * 1024,
    metricsToken: metricsToken(env.HOOKRELAY_METRICS_TOKEN),
    metricsPort: env.HOOKRELAY_METRICS_PORT ? int(env, 'HOOKRELAY_METRICS_PORT', 0, 0, 65535) : null,
    metricsHost: env.HOOKRELAY_METRICS_HOST || '127.0.0.1',
    delivery: {
      timeoutMs: int(env, 'HOOKRELAY_DELIVERY_TIMEOUT_MS', 5000, 100, 120_000),
      retryScheduleMs: retrySchedule(env.HOOKRELAY_RETRY_SCHEDULE),
      allowPrivateTargets: allowRule(env.HOOKRELAY_ALLOW_PRIVATE_TARGETS ?? ''),
      // Bench (2026-11-22, one webhook, loopback): 8 in flight per webhook delivered 2,969/s and
      // let a 2 s start-up backlog build at 1,000 events/s; 32 delivered 5,148/s.
      // 256 held jobs: a webhook's share (half the worker, at most 4 rounds of its slots) is 128,
      // so a claim behind one webhook's backlog takes 64 instead of 32. Bench (2026-11-22, four
      // alternating runs, 100,000 events to one webhook): 1,402-1,518 claims instead of
      // 2,568-2,663 (each a storage-thread round trip), 8,624-8,803 against 7,592-8,648
      // deliveries/s, the same peak RSS (174-177 MB).
      concurrency: int(env, 'HOOKRELAY_WORKER_CONCURRENCY', 256, 1, 10_000),
      perEndpointConcurrency: int(env, 'HOOKRELAY_ENDPOINT_CONCURRENCY', 32, 1, 1000),
      leaseMs: int(env, 'HOOKRELAY_LEASE_MS', 30_000, 1000, 3_600_000),
      pollIntervalMs: int(env, 'HOOKRELAY_POLL_INTERVAL_MS', 250, 10, 60_000),
      shutdownGraceMs: int(env, 'HOOKRELAY_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
      maxResponseBodyBytes: 64 * 1024,
      maxAttachmentBytes: int(env, 'HOOKRELAY_MAX_ATTACHMENT_BYTES', 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      idempotencyTtlMs: 24 * 3600 * 1000,
      publicUrl: publicUrl(env.HOOKRELAY_PUBLIC_URL) ?? `http://localhost:${env.PORT || 8080}`,
      instanceId: env.HOOKRELAY_INSTANCE_ID || 'hookrelay',
    },
    storage: storageConfig(env),
  };
}

/** Checked here so that a bad list stops the start before the database is opened (parsed again by the sender). */
function allowRule(raw: string): string {
  try {
    parseAllowRule(raw);
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}: HOOKRELAY_ALLOW_PRIVATE_TARGETS must be true, or a comma-separated list of IP addresses or CIDRs`);
  }
  return raw;
}

/** Put into every payload (source.applicationUrl): an http(s) URL, or receivers got "notaurl". */
function publicUrl(raw: string | undefined): string | null {
  if (!raw) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new ConfigError(`HOOKRELAY_PUBLIC_URL must be an http:// or https:// URL, got "${raw}"`);
  return raw;
}

function metricsToken(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  // A header value's characters, and long enough not to be guessed.
  if (raw.length < 16 || !/^[\x21-\x7e]+$/.test(raw)) throw new ConfigError('HOOKRELAY_METRICS_TOKEN must be at least 16 printable characters without spaces');
  return raw;
}

function trustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  const entries = raw.split(',').map((s) => s.trim());
  for (const e of entries) {
    const [address, bits, ...rest] = e.split('/');
    const family = net.isIP(address);
    const prefixOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!family || !prefixOk || rest.length) throw new ConfigError(`HOOKRELAY_TRUST_PROXY must be true, false or a comma-separated list of IP addresses or CIDRs, got "${e}"`);
  }
  return entries.join(',');
}

function endpoint(env: Env, name: string): string | null {
  const raw = env[name];
  if (!raw) return null;
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return raw.replace(/\/+$/, '');
  } catch {
    // fall through
  }
  throw new ConfigError(`${name} must be an http or https URL, got "${raw}"`);
}

function storageConfig(env: Env): StorageConfig {
  const mode = env.HOOKRELAY_AWS_CREDENTIALS_MODE || 'assume-role';
  if (mode !== 'assume-role' && mode !== 'web-identity') {
    throw new ConfigError(`HOOKRELAY_AWS_CREDENTIALS_MODE must be assume-role or web-identity, got "${mode}"`);
  }
  const webIdentityTokenFile = env.HOOKRELAY_WEB_IDENTITY_TOKEN_FILE || env.AWS_WEB_IDENTITY_TOKEN_FILE || null;
  if (mode === 'web-identity' && !webIdentityTokenFile) {
    throw new ConfigError('HOOKRELAY_WEB_IDENTITY_TOKEN_FILE is required when HOOKRELAY_AWS_CREDENTIALS_MODE is web-identity');
  }
  const s3Endpoint = endpoint(env, 'HOOKRELAY_S3_ENDPOINT');
  const pathStyle = env.HOOKRELAY_S3_FORCE_PATH_STYLE;
  if (pathStyle && !['true', 'false'].includes(pathStyle)) throw new ConfigError(`HOOKRELAY_S3_FORCE_PATH_STYLE must be true or false, got "${pathStyle}"`);
  return {
    credentialsMode: mode,
    webIdentityTokenFile,
    s3Endpoint,
    stsEndpoint: endpoint(env, 'HOOKRELAY_STS_ENDPOINT'),
    s3ForcePathStyle: pathStyle ? pathStyle === 'true' : s3Endpoint !== null,
    uploadTimeoutMs: int(env, 'HOOKRELAY_S3_UPLOAD_TIMEOUT_MS', 20_000, 1000, 3_600_000),
  };
}

function retrySchedule(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === '') return [60_000, 300_000, 900_000];
  const parts = raw.split(',').map((p) => p.trim());
  return parts.map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isFinite(n) || n < 0 || n > 7 * 86400) {
      throw new ConfigError(`HOOKRELAY_RETRY_SCHEDULE must be comma-separated seconds between 0 and 604800, got "${raw}"`);
    }
    return Math.round(n * 1000);
  });
}

/** A URL without its password, for messages. */
export function redactedUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}
