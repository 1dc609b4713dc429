// Who may read /metrics: the scraper's static token (HOOKRELAY_METRICS_TOKEN) or an
// administrator's bearer token. The figures are of every org (the queue, the dead letters), so an
// org-level privilege is not enough.
import crypto from 'node:crypto';
import { bearerToken } from '../api/auth.ts';
import type { AppContext } from '../context.ts';
import { allows } from '../domain/privileges.ts';
import { resolveToken } from '../services/identity.ts';

export interface Refusal {
  status: 401 | 403;
  code: 'UNAUTHORIZED' | 'FORBIDDEN';
  message: string;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest();

/** Compared as digests: equal lengths for timingSafeEqual, and no timing of the configured token's length. */
function sameToken(given: string, expected: string): boolean {
  return crypto.timingSafeEqual(sha256(given), sha256(expected));
}

/** null when `authorization` (the request's header) may read the metrics, else why not. */
export async function metricsRefusal(ctx: AppContext, authorization: string | undefined): Promise<Refusal | null> {
  const token = bearerToken(authorization);
  if (!token) return { status: 401, code: 'UNAUTHORIZED', message: 'Authorization: a Bearer token is required (HOOKRELAY_METRICS_TOKEN, or an administrator\'s token)' };
  if (ctx.config.metricsToken !== null && sameToken(token, ctx.config.metricsToken)) return null;
  const resolved = await resolveToken(ctx.store, token);
  if (!resolved) return { status: 401, code: 'UNAUTHORIZED', message: 'Authorization: the token is invalid, expired or revoked' };
  if (!allows(resolved.user.privileges, 'administer')) return { status: 403, code: 'FORBIDDEN', message: 'the metrics are of every org: they need the ADMINISTRATION privilege or HOOKRELAY_METRICS_TOKEN' };
  return null;
}
