// Bearer authentication and privilege checks. Routes declare `config: { access }`: 'public' needs
// nothing, 'authenticated' any valid token, otherwise one of the ACCESS rules of domain/privileges.
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { allows, type AccessRule } from '../domain/privileges.ts';
import { resolveToken } from '../services/identity.ts';
import type { OrgRow, TokenRow, UserRow } from '../store/types.ts';
import { ApiError, badRequest, forbidden, notFound } from './errors.ts';

export type Access = 'public' | 'authenticated' | AccessRule;

export interface Principal {
  user: UserRow;
  org: OrgRow;
  token: TokenRow;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export const SESSION_COOKIE = 'hookrelay_session';
export const CSRF_COOKIE = 'hookrelay_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The CSRF token of a session: derived from the session token, so nothing extra is stored. */
export function csrfFor(sessionToken: string): string {
  return crypto.createHash('sha256').update(`csrf:${sessionToken}`).digest('base64url');
}

/** The token of an Authorization header's Bearer scheme, or null. */
export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1] : null;
}

function bearer(req: FastifyRequest): string | null {
  return bearerToken(req.headers.authorization);
}

/**
 * The console's session cookie (HttpOnly, SameSite=Strict). A state-changing request carried by
 * the cookie must also echo the session's CSRF token in X-CSRF-Token, which another site cannot
 * read; bearer-token requests are not exposed to CSRF and need no such header.
 */
function sessionToken(req: FastifyRequest): string | null {
  const token = req.cookies?.[SESSION_COOKIE];
  if (!token) return null;
  if (!SAFE_METHODS.has(req.method)) {
    const sent = req.headers['x-csrf-token'];
    const expected = Buffer.from(csrfFor(token));
    // Compared as bytes, their lengths first: a header of the token's length in characters but
    // not in bytes (one above 0x7f) made timingSafeEqual throw, a 500 (API fuzzing, 2026-12-07).
    const given = typeof sent === 'string' ? Buffer.from(sent) : null;
    if (!given || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
      throw new ApiError(403, 'CSRF', 'X-CSRF-Token: missing or wrong for this session');
    }
  }
  return token;
}

export function registerAuth(app: FastifyInstance, ctx: AppContext) {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config?.access ?? 'authenticated';
    if (access === 'public') return;
    const token = bearer(req) ?? sessionToken(req);
    if (!token) throw new ApiError(401, 'UNAUTHORIZED', 'Authorization: a Bearer token is required');
    const resolved = await resolveToken(ctx.store, token);
    if (!resolved) throw new ApiError(401, 'UNAUTHORIZED', 'Authorization: the token is invalid, expired or revoked');
    req.principal = { user: resolved.user, org: resolved.org, token: resolved.row };
    if (access !== 'authenticated' && !allows(resolved.user.privileges, access)) {
      throw forbidden(`this operation needs one of the privileges ${rulePrivileges(access)}`);
    }
  });
}

function rulePrivileges(rule: AccessRule): string {
  return { manageWebhooks: 'ADMINISTRATION, DEVELOPER, CAN_MANAGE_WEBHOOKS', manageChannels: 'ADMINISTRATION, APPLICATION_ADMINISTRATION', viewDeliveries: 'ADMINISTRATION, DEVELOPER, CAN_MANAGE_WEBHOOKS, APPLICATION_ADMINISTRATION', administer: 'ADMINISTRATION' }[rule];
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, 'UNAUTHORIZED', 'Authorization: a Bearer token is required');
  return req.principal;
}

/**
 * The org a request acts on: the token's org, or another one named by `identifier`, which needs
 * ADMINISTRATION. A non-administrator gets 403 whether or not the other org exists, so org
 * existence does not leak.
 */
export async function targetOrg(ctx: AppContext, req: FastifyRequest, identifier: string | undefined, field = 'org_identifier'): Promise<OrgRow> {
  const p = principal(req);
  // Empty names no org (it meant the caller's own: an org preference for "" changed the caller's org).
  if (identifier === '') throw badRequest(field, 'must not be empty (leave it out for the org of the token)');
  if (identifier === undefined || identifier === String(p.org.id) || identifier === p.org.name) return p.org;
  if (!allows(p.user.privileges, 'administer')) throw forbidden(`${field}: acting on another org needs the ADMINISTRATION privilege`);
  const org = await ctx.store.findOrg(identifier);
  if (!org) throw notFound('org', identifier, field);
  return org;
}
