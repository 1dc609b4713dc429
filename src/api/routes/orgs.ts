// /api/rest/2.0/orgs/*: create, search, update, delete, shaped as the SDK's OrgResponse.
import { plainName, wellFormed } from '../../domain/webhook-input.ts';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { allows } from '../../domain/privileges.ts';
import { createOrg, PRIMARY_ORG_ID } from '../../services/identity.ts';
import { principal } from '../auth.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { orgResponse } from '../presenters.ts';

const tags = ['Orgs'];
const OrgParam = Type.Object({ org_identifier: Type.String() });
/** Bounded as names are (a 300 KB description was accepted). */
const MAX_DESCRIPTION = 4096;
/** Users one org update may name. */
const MAX_MEMBERS = 1000;

function checkName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.trim() === '') throw badRequest(field, 'must be a non-empty string');
  if (name.length > 255) throw badRequest(field, 'must be at most 255 characters');
  wellFormed(name, field);
  plainName(name, field);
  // A name made of digits would be ambiguous with org ids wherever an identifier is accepted.
  if (/^\d+$/.test(name.trim())) throw badRequest(field, 'must not be only digits (it would read as an org id)');
  return name.trim();
}

export function orgRoutes(app: FastifyInstance, ctx: AppContext) {
  app.post(
    '/api/rest/2.0/orgs/create',
    { config: { access: 'administer' }, schema: { tags, body: Type.Object({ name: Type.String(), description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION })) }) } },
    async (req) => {
      const body = req.body as { name: string; description?: string };
      return orgResponse(await createOrg(ctx.store, checkName(body.name), body.description ?? null));
    },
  );

  app.post(
    '/api/rest/2.0/orgs/search',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        body: Type.Optional(
          Type.Object({
            org_identifier: Type.Optional(Type.String()),
            description: Type.Optional(Type.String()),
            visibility: Type.Optional(Type.String({ enum: ['SHOW', 'HIDDEN'] })),
            status: Type.Optional(Type.String({ enum: ['ACTIVE', 'IN_ACTIVE'] })),
            user_identifiers: Type.Optional(Type.Array(Type.String())),
          }),
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      const body = (req.body ?? {}) as { org_identifier?: string; description?: string; visibility?: string; status?: string; user_identifiers?: string[] };
      let orgs = await ctx.store.listOrgs();
      // Non-administrators see only the orgs they belong to.
      if (!allows(p.user.privileges, 'administer')) orgs = orgs.filter((o) => p.user.orgIds.includes(o.id));
      if (body.org_identifier) orgs = orgs.filter((o) => String(o.id) === body.org_identifier || o.name === body.org_identifier);
      if (body.description) orgs = orgs.filter((o) => (o.description ?? '').toLowerCase().includes(body.description!.toLowerCase()));
      if (body.visibility) orgs = orgs.filter((o) => o.visibility === body.visibility);
      if (body.status) orgs = orgs.filter((o) => o.status === body.status);
      if (body.user_identifiers?.length) {
        const members = new Set<number>();
        for (const id of body.user_identifiers) (await ctx.store.findUser(id))?.orgIds.forEach((o) => members.add(o));
        orgs = orgs.filter((o) => members.has(o.id));
      }
      return orgs.map(orgResponse);
    },
  );

  app.post(
    '/api/rest/2.0/orgs/:org_identifier/update',
    {
      config: { access: 'administer' },
      schema: {
        tags,
        params: OrgParam,
        body: Type.Object({
          name: Type.Optional(Type.String()),
          // null clears it (a description could not be removed).
          description: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: MAX_DESCRIPTION })])),
          // ThoughtSpot's UpdateOrgRequest: the org's members, added (the default), removed or
          // replaced. They were accepted and ignored; memberships could only be given at a
          // user's creation (API fuzzing, 2026-12-07).
          user_identifiers: Type.Optional(Type.Array(Type.String(), { maxItems: MAX_MEMBERS })),
          group_identifiers: Type.Optional(Type.Array(Type.String())),
          operation: Type.Optional(Type.String({ enum: ['ADD', 'REMOVE', 'REPLACE'] })),
        }),
      },
    },
    async (req, reply) => {
      const { org_identifier } = req.params as { org_identifier: string };
      const body = req.body as { name?: string; description?: string | null; user_identifiers?: string[]; group_identifiers?: string[]; operation?: 'ADD' | 'REMOVE' | 'REPLACE' };
      const org = await ctx.store.findOrg(org_identifier);
      if (!org) throw notFound('org', org_identifier, 'org_identifier');
      if (body.group_identifiers?.length) throw badRequest('group_identifiers', 'HookRelay has no groups; name the users in user_identifiers');
      if (body.operation && !body.user_identifiers) throw badRequest('operation', 'applies to user_identifiers, which is missing');
      const name = body.name === undefined ? undefined : checkName(body.name);
      // Every user first: an unknown one changes nothing.
      const members: string[] = [];
      for (const [i, id] of (body.user_identifiers ?? []).entries()) {
        const user = await ctx.store.findUser(id);
        if (!user) throw notFound('user', id, `user_identifiers[${i}]`);
        members.push(user.id);
      }
      if (name !== undefined || body.description !== undefined) await ctx.store.updateOrg(org.id, { name, description: body.description });
      if (body.user_identifiers) {
        // As users/update refuses it: a user in no org could never get a token (checked by the
        // store, in the change's transaction, which also ends the leavers' sessions in the org).
        const stranded = await ctx.store.changeOrgMembers(org.id, members, body.operation ?? 'ADD');
        if (stranded.length) throw badRequest('user_identifiers', `would leave ${stranded.map((n) => `"${n}"`).join(', ')} in no org; add them to another org first`);
      }
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/rest/2.0/orgs/:org_identifier/delete',
    { config: { access: 'administer' }, schema: { tags, params: OrgParam } },
    async (req, reply) => {
      const { org_identifier } = req.params as { org_identifier: string };
      const org = await ctx.store.findOrg(org_identifier);
      if (!org) throw notFound('org', org_identifier, 'org_identifier');
      if (org.id === PRIMARY_ORG_ID) throw new ApiError(400, 'INVALID_FIELD', 'org_identifier: the Primary org cannot be deleted', 'org_identifier');
      // Of deletes sent at once, one deletes the org and the others find it gone (all answered 204).
      if (!(await ctx.store.deleteOrg(org.id))) throw notFound('org', org_identifier, 'org_identifier');
      return reply.status(204).send();
    },
  );
}
