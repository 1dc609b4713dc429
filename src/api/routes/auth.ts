// /api/rest/2.0/auth/*: full-access tokens, validation, revocation and the session's user.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { allows } from '../../domain/privileges.ts';
import { resolveToken } from '../../services/identity.ts';
import type { SignInThrottle } from '../../security/sign-in-throttle.ts';
import { signIn } from '../sign-in.ts';
import { tokenHash } from '../../security/tokens.ts';
import { principal } from '../auth.ts';
import { ApiError, badRequest, forbidden, notFound } from '../errors.ts';
import { userResponse } from '../presenters.ts';
import { refuseUnsupported, unsupportedFields } from '../unsupported.ts';

const tags = ['Authentication'];

/** GetFullAccessTokenRequest's fields of trusted authentication (a user made or changed on the way). */
const AUTO_CREATE_FIELDS = ['auto_create', 'user_parameters', 'email', 'display_name', 'group_identifiers'] as const;

export function authRoutes(app: FastifyInstance, ctx: AppContext, throttle: SignInThrottle) {
  app.post(
    '/api/rest/2.0/auth/token/full',
    {
      config: { access: 'public' },
      schema: {
        tags,
        body: Type.Object({
          // Bounded as users/create bounds them: each failed username is kept by the throttle for
          // 5 minutes, and ~1 MB ones ran the heap out in ~250 sign-ins (fuzzing, 2026-12-07).
          username: Type.String({ maxLength: 255 }),
          password: Type.Optional(Type.String({ maxLength: 1024 })),
          secret_key: Type.Optional(Type.String()),
          validity_time_in_sec: Type.Optional(Type.Integer()),
          org_id: Type.Optional(Type.Integer()),
          ...unsupportedFields(AUTO_CREATE_FIELDS),
        }),
      },
    },
    async (req, reply) => {
      const body = req.body as { username: string; password?: string; secret_key?: string; validity_time_in_sec?: number; org_id?: number };
      refuseUnsupported(req.body as Record<string, unknown>, AUTO_CREATE_FIELDS, 'HookRelay has no trusted authentication; users are made with users/create');
      if (body.password === undefined) {
        throw badRequest('password', body.secret_key !== undefined ? 'is required; trusted authentication with secret_key is not supported' : 'is required');
      }
      const validity = body.validity_time_in_sec ?? ctx.config.tokenTtlSec;
      if (validity < 1 || validity > ctx.config.tokenMaxTtlSec) throw badRequest('validity_time_in_sec', `must be between 1 and ${ctx.config.tokenMaxTtlSec}`);
      const issued = await signIn(ctx, throttle, req, reply, { username: body.username, password: body.password, orgId: body.org_id, validitySec: validity });
      return {
        token: issued.token,
        creation_time_in_millis: issued.row.createdAt,
        expiration_time_in_millis: issued.row.expiresAt,
        scope: { access_type: 'FULL', org_id: issued.row.orgId, metadata_id: null },
        valid_for_user_id: issued.user.id,
        valid_for_username: issued.user.name,
      };
    },
  );

  app.post(
    '/api/rest/2.0/auth/token/validate',
    { config: { access: 'authenticated' }, schema: { tags, body: Type.Object({ token: Type.String() }) } },
    async (req) => {
      const p = principal(req);
      const { token } = req.body as { token: string };
      const resolved = await resolveToken(ctx.store, token);
      // Someone else's token is reported as invalid to non-administrators: no probing of tokens.
      if (!resolved || (resolved.user.id !== p.user.id && !allows(p.user.privileges, 'administer'))) {
        throw badRequest('token', 'is invalid, expired or revoked');
      }
      return {
        creation_time_in_millis: resolved.row.createdAt,
        expiration_time_in_millis: resolved.row.expiresAt,
        scope: { access_type: 'FULL', org_id: resolved.row.orgId, metadata_id: null },
        valid_for_user_id: resolved.user.id,
        token_type: 'Bearer',
      };
    },
  );

  app.post(
    '/api/rest/2.0/auth/token/revoke',
    { config: { access: 'authenticated' }, schema: { tags, body: Type.Optional(Type.Object({ user_identifier: Type.Optional(Type.String()), token: Type.Optional(Type.String()) })) } },
    async (req, reply) => {
      const p = principal(req);
      const body = (req.body ?? {}) as { user_identifier?: string; token?: string };
      const admin = allows(p.user.privileges, 'administer');
      const now = Date.now();
      // An empty value names nothing: it must not fall through to revoking the caller's own token.
      if (body.token === '') throw badRequest('token', 'must not be empty (omit it to revoke the token of this request)');
      if (body.user_identifier === '') throw badRequest('user_identifier', 'must not be empty (omit it to revoke the token of this request)');
      if (body.token) {
        const row = await ctx.store.findToken(tokenHash(body.token));
        if (!row || (row.userId !== p.user.id && !admin)) throw badRequest('token', 'is not a token you may revoke');
        await ctx.store.revokeToken(row.hash, now);
      } else if (body.user_identifier) {
        const user = await ctx.store.findUser(body.user_identifier);
        if (!user) throw notFound('user', body.user_identifier, 'user_identifier');
        if (user.id !== p.user.id && !admin) throw forbidden('user_identifier: revoking another user\'s tokens needs the ADMINISTRATION privilege');
        await ctx.store.revokeUserTokens(user.id, now);
      } else {
        await ctx.store.revokeToken(p.token.hash, now);
      }
      return reply.status(204).send();
    },
  );

  app.get('/api/rest/2.0/auth/session/user', { config: { access: 'authenticated' }, schema: { tags } }, async (req) => {
    const p = principal(req);
    if (!p) throw new ApiError(401, 'UNAUTHORIZED', 'no session');
    return userResponse(p.user, await ctx.store.listOrgs(), p.org);
  });
}
