// Starts a real HookRelay service (in this process, on a random loopback port) on a fresh
// database of the chosen engine, with a known administrator.
import { loadConfig } from '../../src/config.ts';
import { startService as start, type RunningService } from '../../src/service.ts';
import { createTestDatabase, engines, type Engine } from './databases.ts';

export { engines, type Engine };

export interface TestService {
  baseUrl: string;
  /** The service's database (a SQLite file's path, or a postgres:// URL). */
  databaseUrl: string;
  adminToken: string;
  adminUsername: string;
  adminPassword: string;
  running: RunningService;
  close(): Promise<void>;
}

export async function startService(opts: { engine?: Engine; env?: Record<string, string> } = {}): Promise<TestService> {
  const db = await createTestDatabase(opts.engine ?? 'sqlite');
  const adminUsername = 'admin';
  const adminPassword = 'admin-password-1';
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    HOOKRELAY_DATA_DIR: db.dir,
    HOOKRELAY_DATABASE_URL: db.url,
    HOOKRELAY_ADMIN_USERNAME: adminUsername,
    HOOKRELAY_ADMIN_PASSWORD: adminPassword,
    HOOKRELAY_LOG_LEVEL: process.env.HOOKRELAY_TEST_LOG_LEVEL ?? 'silent',
    HOOKRELAY_PG_POOL_SIZE: '5',
    HOOKRELAY_POLL_INTERVAL_MS: '50',
    ...opts.env,
  });
  const running = await start(config);
  const baseUrl = running.url!;
  const res = await fetch(`${baseUrl}/api/rest/2.0/auth/token/full`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: adminUsername, password: adminPassword }),
  });
  if (res.status !== 200) throw new Error(`admin token: ${res.status} ${await res.text()}`);
  const { token } = (await res.json()) as { token: string };
  return {
    baseUrl,
    databaseUrl: db.url,
    adminToken: token,
    adminUsername,
    adminPassword,
    running,
    async close() {
      await running.close();
      await db.drop();
    },
  };
}

/** JSON request helper for raw-HTTP tests: returns status and parsed body (or text). */
export async function call(baseUrl: string, method: string, path: string, opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}
