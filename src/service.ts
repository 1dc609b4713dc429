// Starting and stopping a HookRelay process: open the store, migrate, bootstrap identity, serve.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { createSender, createWorker } from './delivery/runner.ts';
import type { Worker } from './delivery/worker.ts';
import { redactedUrl, type Config } from './config.ts';
import type { AppContext } from './context.ts';
import { createLogger } from './log.ts';
import { loadOrCreateKey, SecretBox } from './security/secret-box.ts';
import { checkKey } from './security/key-check.ts';
import { bootstrapAdmin, ensurePrimaryOrg } from './services/identity.ts';
import { announceGeneratedPassword } from './services/initial-password.ts';
import { Retention } from './services/retention.ts';
import { openStore } from './store/index.ts';
import { withReadCache } from './store/read-cache.ts';
import { Metrics } from './observability/metrics.ts';
import { VERSION } from './version.ts';
import { startMetricsServer } from './observability/metrics-server.ts';

export interface RunningService {
  ctx: AppContext;
  app: FastifyInstance;
  /** The address actually bound (useful with PORT=0). */
  url: string | null;
  worker: Worker | null;
  /** The metrics' own listener (HOOKRELAY_METRICS_PORT), or null. */
  metricsUrl: string | null;
  /** The history's pruning, in a process running a worker (else null). */
  retention: Retention | null;
  close(): Promise<void>;
}

export interface ServiceRoles {
  api: boolean;
  worker: boolean;
}

export async function openContext(config: Config): Promise<AppContext> {
  const log = createLogger(config.logLevel);
  const opened = await openStore(config.databaseUrl, {
    pgPoolSize: config.pgPoolSize,
    sqliteThread: config.sqliteThread,
    sqliteQueue: config.sqliteQueue,
    pgQueue: config.pgQueue,
    // Nothing can be stored any more: exit, so a supervisor restarts the process. Every accepted
    // event is already on disk and leased jobs come back when their leases expire.
    onFatal: (err) => {
      log.fatal({ err }, 'the storage thread died; exiting');
      process.exit(1);
    },
  });
  const store = withReadCache(opened);
  const applied = await store.migrate({ onWaiting: (message) => log.warn(message) });
  if (applied.length) log.info({ applied, engine: store.engine }, 'migrations applied');
  const box = new SecretBox(loadOrCreateKey(config.secretKey, config.dataDir));
  try {
    await checkKey(store, box, config.secretKey ? 'HOOKRELAY_SECRET_KEY' : path.join(config.dataDir, 'secret.key'));
  } catch (err) {
    await store.close();
    throw err;
  }
  return { config, store, box, log, metrics: new Metrics(store, log) };
}

export async function startService(config: Config, roles: ServiceRoles = { api: true, worker: true }): Promise<RunningService> {
  const ctx = await openContext(config);
  await ensurePrimaryOrg(ctx.store);
  const admin = await bootstrapAdmin(ctx.store, config.adminUsername, config.adminPassword);
  if (admin?.generatedPassword) {
    announceGeneratedPassword(config.dataDir, admin.username, admin.generatedPassword, ctx.log);
  } else if (admin) {
    ctx.log.info({ username: admin.username }, 'administrator created');
  }
  const sender = createSender(ctx);
  const worker = roles.worker ? createWorker(ctx, sender) : null;
  const { leaseMs, timeoutMs } = config.delivery;
  // A claimed job starts only with two attempts' time left on its lease: below that, jobs waiting
  // for their endpoint's slot are handed back and claimed again over and over (a 3 s lease with
  // the 5 s timeout took 5 s for 300 jobs to one fast webhook, fuzzing 2026-12-07). A warning,
  // not a refusal: tests of crash recovery run short leases with short timeouts on purpose.
  if (worker && leaseMs < 2 * timeoutMs) {
    ctx.log.warn({ leaseMs, timeoutMs }, `HOOKRELAY_LEASE_MS (${leaseMs}) is under twice HOOKRELAY_DELIVERY_TIMEOUT_MS (${timeoutMs}): queued jobs will be handed back and claimed again instead of sent; raise the lease`);
  }
  // An attempt with an S3 step may take both: past the lease, another worker takes the job while
  // it still runs and the receiver gets it twice (the README says to keep them below it).
  const { uploadTimeoutMs, credentialsMode, webIdentityTokenFile } = config.storage;
  if (worker && uploadTimeoutMs + timeoutMs >= leaseMs) {
    ctx.log.warn({ leaseMs, timeoutMs, uploadTimeoutMs }, `HOOKRELAY_S3_UPLOAD_TIMEOUT_MS (${uploadTimeoutMs}) plus HOOKRELAY_DELIVERY_TIMEOUT_MS (${timeoutMs}) is not below HOOKRELAY_LEASE_MS (${leaseMs}): a delivery with an S3 step may outlive its lease and be sent twice; raise the lease`);
  }
  if (credentialsMode === 'web-identity' && webIdentityTokenFile && !fs.existsSync(webIdentityTokenFile)) {
    ctx.log.warn({ file: webIdentityTokenFile }, 'HOOKRELAY_WEB_IDENTITY_TOKEN_FILE does not exist (yet): S3 storage destinations fail until it does');
  }
  ctx.metrics.collectProcessMetrics();
  if (worker) {
    ctx.metrics.watchWorker(worker);
    ctx.onPublished = (webhookIds) => worker.notify(webhookIds);
    worker.start();
  }
  // Pruned by the processes that deliver: an API-only process stays lean, and with several
  // workers on PostgreSQL their rounds overlap harmlessly (a row deleted twice is deleted once).
  const retention = worker ? new Retention(ctx.store, config.retentionDays, ctx.log) : null;
  retention?.start();
  const app = roles.api ? await buildApp(ctx, sender) : null;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | null = null;
  const close = async (graceMs: number) => {
    // Stop taking requests and claiming jobs at once; requests and deliveries in flight have the
    // grace period. A request still open then (a stalled upload, a client trickling its body) is
    // cut: it was not answered, and its client sends it again. One such client held SIGTERM for
    // as long as it kept sending (operator audit, 2026-12-08).
    const until = Date.now() + graceMs;
    const appClosed = app ? app.close() : Promise.resolve();
    await metricsServer?.close();
    await retention?.stop();
    if (worker) await worker.stop(graceMs);
    if (app && !(await settledBy(appClosed, until))) {
      ctx.log.warn('grace period over: closing the connections of requests still open');
      app.server.closeAllConnections();
      await appClosed;
    }
    // Whatever is still running was abandoned by the worker (its lease handed back): abort it.
    await sender.destroy();
    await ctx.store.close();
  };
  let url: string | null = null;
  try {
    url = app ? (await app.listen({ port: config.port, host: config.host })).replace('0.0.0.0', '127.0.0.1') : null;
    if (config.metricsPort !== null) {
      metricsServer = await startMetricsServer(ctx, config.metricsPort, config.metricsHost);
      ctx.log.info({ url: metricsServer.url }, 'metrics listening');
      if (config.metricsToken === null && !isLoopback(config.metricsHost)) {
        ctx.log.warn({ host: config.metricsHost }, 'HOOKRELAY_METRICS_PORT listens beyond loopback without HOOKRELAY_METRICS_TOKEN: anyone who reaches it reads the metrics of every org');
      }
    }
  } catch (err) {
    // A port in use (EADDRINUSE) or not allowed: the worker started above hands its jobs back
    // and the store closes before the error goes up (it was an uncaught stack, fuzzing).
    await close(0);
    throw err;
  }
  // One line saying what this process is: what an operator reads first after a deploy.
  ctx.log.info(
    {
      version: VERSION, engine: ctx.store.engine, database: redactedUrl(config.databaseUrl), roles: [roles.api && 'api', roles.worker && 'worker'].filter(Boolean),
      url, metrics: metricsServer?.url ?? null, secretKey: config.secretKey ? 'HOOKRELAY_SECRET_KEY' : path.join(config.dataDir, 'secret.key'),
    },
    'HookRelay started',
  );
  return {
    ctx,
    app: app as FastifyInstance,
    url,
    metricsUrl: metricsServer?.url ?? null,
    worker,
    retention,
    close: () => close(config.delivery.shutdownGraceMs),
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Whether `p` settled by `until` (epoch ms). */
async function settledBy(p: Promise<unknown>, until: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, until - Date.now()))));
  try {
    return await Promise.race([p.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
