// The `hookrelay` command: serve, migrate, user create, org create, token.
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { failureOf } from './cli-failures.ts';
import { isPrivilege } from './domain/privileges.ts';
import { openContext, startService } from './service.ts';
import { createOrg, createUser, ensurePrimaryOrg, issueToken } from './services/identity.ts';
import { checkName, checkPassword } from './api/user-rules.ts';

const USAGE = `Usage: hookrelay <command> [options]

Commands:
  serve [--no-worker]           run the API and the delivery worker (default port 8080, PORT to change)
  worker                        run only the delivery worker
  migrate                       apply pending database migrations and exit
  user create --name N --password P [--privilege X]... [--org ID_OR_NAME]... [--email E]
  org create --name N [--description D]
  token --username N --password P [--org-id ID] [--validity SECONDS]

Configuration comes from the environment; see README.md.`;

async function withContext<T>(fn: (ctx: Awaited<ReturnType<typeof openContext>>) => Promise<T>): Promise<T> {
  const ctx = await openContext(loadConfig());
  try {
    await ensurePrimaryOrg(ctx.store);
    return await fn(ctx);
  } finally {
    await ctx.store.close();
  }
}

function fail(message: string): never {
  process.stderr.write(`hookrelay: ${message}\n`);
  process.exit(2);
}

/** A positive integer option, at most `max`. */
function positive(name: string, raw: string, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) fail(`--${name} must be an integer between 1 and ${max}, got "${raw}"`);
  return n;
}

/** serve and worker take no options but these: anything else (a typo, --help) used to start a process all the same. */
function serveArgs(args: string[], allowed: string[]): void {
  if (args.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(USAGE + '\n');
    process.exit(0);
  }
  const unknown = args.filter((a) => !allowed.includes(a));
  if (unknown.length) fail(`unknown option ${unknown.map((a) => `"${a}"`).join(', ')}\n${USAGE}`);
}

async function serve(roles: { api: boolean; worker: boolean }): Promise<void> {
  const service = await startService(loadConfig(), roles);
  let stopping = false;
  const stop = async (signal: string) => {
    // A second signal while the first shuts down: the operator wants out now. Jobs in flight
    // come back when their leases expire.
    if (stopping) {
      service.ctx.log.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    stopping = true;
    service.ctx.log.info({ signal }, 'shutting down');
    await service.close();
    service.ctx.log.info('shut down');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

export async function main(argv: string[]): Promise<void> {
  const [command, sub, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        serveArgs(argv.slice(1), ['--no-worker']);
        return await serve({ api: true, worker: !argv.includes('--no-worker') });
      case 'worker':
        serveArgs(argv.slice(1), []);
        return await serve({ api: false, worker: true });
      case 'migrate': {
        const ctx = await openContext(loadConfig());
        await ctx.store.close();
        process.stdout.write('migrations up to date\n');
        return;
      }
      case 'user': {
        if (sub !== 'create') fail(`unknown user command "${sub ?? ''}"\n${USAGE}`);
        const { values } = parseArgs({
          args: rest,
          options: { name: { type: 'string' }, password: { type: 'string' }, email: { type: 'string' }, privilege: { type: 'string', multiple: true }, org: { type: 'string', multiple: true } },
        });
        if (!values.name || !values.password) fail('user create needs --name and --password');
        // The API's rules: a user the CLI made could otherwise never sign in (a name over 255 characters).
        const name = checkName(values.name);
        checkPassword(values.password, 'password');
        for (const p of values.privilege ?? []) if (!isPrivilege(p)) fail(`unknown privilege "${p}"`);
        await withContext(async (ctx) => {
          const orgIds: number[] = [];
          for (const id of values.org ?? ['0']) {
            const org = await ctx.store.findOrg(id);
            if (!org) fail(`org "${id}" not found`);
            orgIds.push(org.id);
          }
          const user = await createUser(ctx.store, { name, password: values.password!, email: values.email ?? null, privileges: values.privilege ?? [], orgIds });
          process.stdout.write(JSON.stringify({ id: user.id, name: user.name, privileges: user.privileges, org_ids: user.orgIds }) + '\n');
        });
        return;
      }
      case 'org': {
        if (sub !== 'create') fail(`unknown org command "${sub ?? ''}"\n${USAGE}`);
        const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, description: { type: 'string' } } });
        if (!values.name) fail('org create needs --name');
        await withContext(async (ctx) => {
          const org = await createOrg(ctx.store, values.name!, values.description ?? null);
          process.stdout.write(JSON.stringify({ id: org.id, name: org.name }) + '\n');
        });
        return;
      }
      case 'token': {
        const { values } = parseArgs({
          args: [sub, ...rest].filter((a) => a !== undefined),
          options: { username: { type: 'string' }, password: { type: 'string' }, 'org-id': { type: 'string' }, validity: { type: 'string' } },
        });
        if (!values.username || !values.password) fail('token needs --username and --password');
        const orgId = values['org-id'] !== undefined ? (/^\d+$/.test(values['org-id']) ? Number(values['org-id']) : fail(`--org-id must be an org id (an integer), got "${values['org-id']}"`)) : undefined;
        await withContext(async (ctx) => {
          const issued = await issueToken(ctx.store, {
            username: values.username!,
            password: values.password!,
            orgId,
            // The API's limit (HOOKRELAY_TOKEN_MAX_TTL_SEC): the CLI issued tokens for ~3,000 years.
            validitySec: values.validity !== undefined ? positive('validity', values.validity, ctx.config.tokenMaxTtlSec) : ctx.config.tokenTtlSec,
          });
          process.stdout.write(issued.token + '\n');
        });
        return;
      }
      case undefined:
      case 'help':
      case '--help':
        process.stdout.write(USAGE + '\n');
        return;
      default:
        fail(`unknown command "${command}"\n${USAGE}`);
    }
  } catch (err) {
    const why = failureOf(err, USAGE);
    if (why) fail(why);
    throw err;
  }
}
