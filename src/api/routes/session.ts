// The web console's sign-in: a session cookie instead of a bearer header. Same accounts, same
// tokens table, same privileges as the API.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { allows } from '../../domain/privileges.ts';
import { issueTokenForUser, mayActIn } from '../../services/identity.ts';
import type { SignInThrottle } from '../../security/sign-in-throttle.ts';
import { signIn } from '../sign-in.ts';
import { CSRF_COOKIE, csrfFor, principal, SESSION_COOKIE } from '../auth.ts';
import { ApiError, badRequest } from '../errors.ts';
import { userResponse } from '../presenters.ts';

const tags = ['Console session'];
const SESSION_SEC = 8 * 3600;

function setSession(reply: FastifyReply, token: string, secure: boolean, maxAge = SESSION_SEC) {
  const base = { path: '/', sameSite: 'strict' as const, secure, maxAge };
  reply.setCookie(SESSION_COOKIE, token, { ...base, httpOnly: true });
  // Readable by the page so it can echo it in X-CSRF-Token after a reload.
  reply.setCookie(CSRF_COOKIE, csrfFor(token), { ...base, httpOnly: false });
}

export function sessionRoutes(app: FastifyInstance, ctx: AppContext, throttle: SignInThrottle) {
  app.post(
    '/api/v1/session',
    { config: { access: 'public' }, schema: { tags, body: Type.Object({ username: Type.String({ maxLength: 255 }), password: Type.String({ maxLength: 1024 }), org_id: Type.Optional(Type.Integer()) }) } },
    async (req, reply) => {
      const body = req.body as { username: string; password: string; org_id?: number };
      const issued = await signIn(ctx, throttle, req, reply, { username: body.username, password: body.password, orgId: body.org_id, validitySec: SESSION_SEC });
      setSession(reply, issued.token, req.protocol === 'https');
      const org = await ctx.store.findOrg(String(issued.row.orgId));
      return { user: userResponse(issued.user, await ctx.store.listOrgs(), org ?? undefined), csrf_token: csrfFor(issued.token) };
    },
  );

  app.get('/api/v1/session', { config: { access: 'authenticated' }, schema: { tags } }, async (req) => {
    const p = principal(req);
    const orgs = await ctx.store.listOrgs();
    // Administrators may switch to any org; others to the orgs they belong to.
    const switchable = allows(p.user.privileges, 'administer') ? orgs : orgs.filter((o) => p.user.orgIds.includes(o.id));
    return { user: userResponse(p.user, orgs, p.org), orgs: switchable.map((o) => ({ id: o.id, name: o.name })) };
  });

  app.post('/api/v1/session/org', { config: { access: 'authenticated' }, schema: { tags, body: Type.Object({ org_id: Type.Integer() }) } }, async (req, reply) => {
    const p = principal(req);
    // A bearer token sent here was revoked and traded for a cookie (API fuzzing, 2026-12-07).
    requireCookieSession(req, 'switching org is for cookie sessions; get a token for another org from /auth/token/full');
    const { org_id } = req.body as { org_id: number };
    if (!(await mayActIn(ctx.store, p.user, org_id))) throw badRequest('org_id', 'is not an org you can switch to');
    // The session is replaced once: of switches sent at once with it, the one that ends it gets
    // the new session and the others a 401 (20 at once left 20 live sessions, API fuzzing).
    if (!(await ctx.store.revokeToken(p.token.hash, Date.now()))) throw new ApiError(401, 'UNAUTHORIZED', 'session: already replaced or ended; sign in again');
    // The new session ends when the old one would have: a switch (to the same org as well) gave
    // a fresh 8 hours, so a session in use never ended (console fuzzing, 2026-12-07).
    const left = Math.max(1, Math.ceil((p.token.expiresAt - Date.now()) / 1000));
    const issued = await issueTokenForUser(ctx.store, p.user, org_id, left);
    setSession(reply, issued.token, req.protocol === 'https', left);
    return { csrf_token: csrfFor(issued.token), org_id };
  });

  app.delete('/api/v1/session', { config: { access: 'authenticated' }, schema: { tags } }, async (req, reply) => {
    const p = principal(req);
    requireCookieSession(req, 'sign-out is for cookie sessions; revoke bearer tokens with /auth/token/revoke');
    await ctx.store.revokeToken(p.token.hash, Date.now());
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.clearCookie(CSRF_COOKIE, { path: '/' });
    return reply.status(204).send();
  });
}

/** The request is the console's cookie session, not a bearer token: these routes replace or end that session. */
function requireCookieSession(req: FastifyRequest, problem: string): void {
  if (!req.cookies?.[SESSION_COOKIE] || req.headers.authorization) throw new ApiError(400, 'INVALID_FIELD', `session: ${problem}`, 'session');
}
