// What the `hookrelay` command says about a failure an operator can fix (a setting, the database,
// the address): one line naming it, instead of a stack trace that named no setting (operator
// audit, 2026-12-08). Anything else is a bug, and keeps its stack.
import { ApiError } from './api/errors.ts';
import { ConfigError, isPostgresUrl, redactedUrl } from './config.ts';
import { IdentityError } from './services/identity.ts';
import { NewerSchemaError } from './store/migrations.ts';
import { ConflictError } from './store/types.ts';

/** PostgreSQL's connection failures: network codes, and SQLSTATE classes 08 (connection), 28 (authorization), 3D (no such database), 57P03 (starting up). */
const PG_CONNECT = /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|08...|28...|3D000|57P03)$/;

/**
 * One line for a failure the operator can fix (a setting, the database, the address), or null
 * for a bug, whose stack trace is then printed: these were stack traces that named no setting
 * (operator audit, 2026-12-08).
 */
export function failureOf(err: unknown, usage: string): string | null {
  const e = err as { name?: string; message?: string; code?: string; syscall?: string; hostname?: string; path?: string };
  if (err instanceof ConfigError || e?.name === NewerSchemaError.name || err instanceof IdentityError) return e.message!;
  if (err instanceof ApiError) return e.message!;
  if (err instanceof ConflictError) return err.constraint === 'org_name' ? 'an org of that name exists already' : err.constraint === 'user_name' ? 'a user of that name exists already' : err.message;
  if (e?.code?.startsWith('ERR_PARSE_ARGS')) return `${e.message}\n${usage}`;
  const host = process.env.HOST || '0.0.0.0';
  const at = `${host}:${process.env.PORT || 8080}`;
  if (e?.syscall === 'listen' && e.code) {
    return `cannot listen on ${at} (${e.code}): ${e.code === 'EADDRINUSE' ? 'another process holds that port; set PORT' : 'set HOST and PORT to an address this process may use'}`;
  }
  if (e?.syscall === 'getaddrinfo' && e.hostname === host) return `cannot listen on ${at}: HOST "${host}" is not an address of this machine`;
  const db = process.env.HOOKRELAY_DATABASE_URL ?? '';
  if (isPostgresUrl(db) && (PG_CONNECT.test(e?.code ?? '') || /Invalid URL/.test(e?.message ?? ''))) {
    return `cannot connect to PostgreSQL at ${redactedUrl(db)} (HOOKRELAY_DATABASE_URL): ${e.message || e.code}`;
  }
  if (e?.path && e.code && ['mkdir', 'open', 'access', 'scandir', 'rename', 'unlink'].includes(e.syscall ?? '')) {
    return `cannot use ${e.path} (${e.code}): check HOOKRELAY_DATA_DIR and HOOKRELAY_DATABASE_URL, and that this user may write there`;
  }
  if (e?.code === 'SQLITE_CANTOPEN' || e?.code === 'SQLITE_READONLY' || e?.code === 'SQLITE_NOTADB') return `cannot use the SQLite database ${db || '(HOOKRELAY_DATA_DIR/hookrelay.db)'} (${e.code}): ${e.message}`;
  return null;
}
