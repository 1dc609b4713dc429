// The `hookrelay` command: serve, migrate, user create, org create, token.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { NewerSchemaError } from './store/migrations.ts';
import { isPrivilege } from './domain/privileges.ts';
import { openContext, startService } from './service.ts';
import { createOrg, createUser, ensurePrimaryOrg, issueToken } from './services/identity.ts';

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

async function serve(roles: { api: boolean; worker: boolean }): Promise<void> {
  const service = await startService(loadConfig(), roles);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.ctx.log.info({ signal }, 'shutting down');
    await service.close();
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
        return await serve({ api: true, worker: !argv.includes('--no-worker') });
      case 'worker':
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
        for (const p of values.privilege ?? []) if (!isPrivilege(p)) fail(`unknown privilege "${p}"`);
        await withContext(async (ctx) => {
          const orgIds: number[] = [];
          for (const id of values.org ?? ['0']) {
            const org = await ctx.store.findOrg(id);
            if (!org) fail(`org "${id}" not found`);
            orgIds.push(org.id);
          }
          const user = await createUser(ctx.store, { name: values.name!, password: values.password!, email: values.email ?? null, privileges: values.privilege ?? [], orgIds });
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
        await withContext(async (ctx) => {
          const issued = await issueToken(ctx.store, {
            username: values.username!,
            password: values.password!,
            orgId: values['org-id'] !== undefined ? Number(values['org-id']) : undefined,
            validitySec: values.validity !== undefined ? Number(values.validity) : ctx.config.tokenTtlSec,
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
    if (err instanceof ConfigError || (err as Error)?.name === NewerSchemaError.name) fail((err as Error).message);
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      fail(`cannot listen on ${process.env.HOST || '0.0.0.0'}:${process.env.PORT || 8080} (${code}): ${code === 'EADDRINUSE' ? 'another process holds that port; set PORT' : 'set HOST and PORT to an address this process may use'}`);
    }
    if (err instanceof Error && (err as { status?: number }).status === 401) fail(err.message);
    throw err;
  }
}
