// /api/rest/2.0/users/*: create, search, update and delete, shaped as the SDK's User (passwords:
// passwords.ts).
// Privileges are held directly by users (an extension field `privileges` on create and update),
// since HookRelay has no groups or roles.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { allows, PRIVILEGES } from '../../domain/privileges.ts';
import { createUser } from '../../services/identity.ts';
import { principal } from '../auth.ts';
import { badRequest, notFound } from '../errors.ts';
import { page } from '../pagination.ts';
import { userResponse } from '../presenters.ts';
import { refuseUnsupported, unsupportedFields } from '../unsupported.ts';
import { changeUser, checkDisplayName, checkEmail, checkName, checkPassword, EMAIL_FIELDS, FIXED_ACCOUNT_FIELDS, lastAdministrator, NO_PREFERENCES, orgIdsOf, PASSWORD, PREFERENCE_FIELDS, userNamed } from '../user-rules.ts';
import type { UserRow } from '../../store/types.ts';

const tags = ['Users'];

const ACCOUNT_TYPES = ['LOCAL_USER', 'LDAP_USER', 'SAML_USER', 'OIDC_USER', 'REMOTE_USER'] as const;
const ACCOUNT_STATUSES = ['ACTIVE', 'INACTIVE', 'EXPIRED', 'LOCKED', 'PENDING', 'SUSPENDED'] as const;

/** users/search filters on those preferences (its include_* output options have nothing to add, and are taken). */
const PREFERENCE_FILTERS = ['notify_on_share', 'show_onboarding_experience', 'onboarding_experience_completed', 'home_liveboard_identifier', 'favorite_metadata'] as const;


/** Users in the order asked for (NAME ascending by default; AUTHOR, which users here lack, as NAME). */
function sortUsers(users: UserRow[], field: string, order: string): UserRow[] {
  const key = (u: UserRow): string | number => (field === 'DISPLAY_NAME' ? u.displayName.toLowerCase() : field === 'CREATED' ? u.createdAt : field === 'MODIFIED' ? u.modifiedAt : u.name.toLowerCase());
  const sign = order === 'DESC' ? -1 : 1;
  return [...users].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return sign * (x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  });
}

/**
 * ThoughtSpot's name_pattern: case-insensitive, `%` any run of characters. Without a `%` it is
 * matched anywhere in the name, as the console's search box expects; with one it is the whole
 * name ("%B" ends with B: every `%` was dropped and "%B" matched any name holding a B).
 */
function namePattern(pattern: string): RegExp {
  const body = pattern.split('%').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(pattern.includes('%') ? `^${body}$` : body, 'is');
}

export function userRoutes(app: FastifyInstance, ctx: AppContext) {
  app.post(
    '/api/rest/2.0/users/create',
    {
      config: { access: 'administer' },
      schema: {
        tags,
        body: Type.Object({
          // Bounded as org and webhook names are (a 100 KB name was accepted).
          name: Type.String({ maxLength: 255 }),
          display_name: Type.String({ maxLength: 255 }),
          password: PASSWORD,
          email: Type.Optional(Type.String({ maxLength: 320 })),
          // A user in no org could never get a token ("belongs to no org").
          org_identifiers: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
          privileges: Type.Optional(Type.Array(Type.String({ enum: [...PRIVILEGES] }))),
          ...FIXED_ACCOUNT_FIELDS,
          ...unsupportedFields([...PREFERENCE_FIELDS, ...EMAIL_FIELDS]),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      refuseUnsupported(req.body as Record<string, unknown>, PREFERENCE_FIELDS, NO_PREFERENCES);
      refuseUnsupported(req.body as Record<string, unknown>, EMAIL_FIELDS, 'HookRelay sends no email');
      const body = req.body as { name: string; display_name: string; password: string; email?: string; org_identifiers?: string[]; privileges?: string[] };
      const name = checkName(body.name);
      const displayName = checkDisplayName(body.display_name);
      const password = checkPassword(body.password, 'password');
      const email = checkEmail(body.email);
      const orgIds = await orgIdsOf(ctx, body.org_identifiers ?? [String(p.org.id)]);
      const user = await createUser(ctx.store, { name, displayName, password, email, privileges: body.privileges ?? [], orgIds });
      return userResponse(user, await ctx.store.listOrgs());
    },
  );

  app.post(
    '/api/rest/2.0/users/search',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        body: Type.Optional(
          Type.Object({
            user_identifier: Type.Optional(Type.String()),
            name_pattern: Type.Optional(Type.String()),
            email: Type.Optional(Type.String()),
            // ThoughtSpot's privileges are many more than HookRelay's: a filter on one no user
            // here holds finds none.
            privileges: Type.Optional(Type.Array(Type.String())),
            org_identifiers: Type.Optional(Type.Array(Type.String())),
            record_offset: Type.Optional(Type.Integer()),
            record_size: Type.Optional(Type.Integer()),
            // Filters on what every user here has one value of (a local, active, sharable user
            // in no group and no role): they were accepted and ignored, so that a search for
            // an INACTIVE user listed every user (API fuzzing, 2026-12-07).
            display_name: Type.Optional(Type.String()),
            visibility: Type.Optional(Type.String({ enum: ['SHARABLE', 'NON_SHARABLE'] })),
            account_type: Type.Optional(Type.String({ enum: [...ACCOUNT_TYPES] })),
            account_status: Type.Optional(Type.String({ enum: [...ACCOUNT_STATUSES] })),
            group_identifiers: Type.Optional(Type.Array(Type.String())),
            role_identifiers: Type.Optional(Type.Array(Type.String())),
            include_favorite_metadata: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
            include_variable_values: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
            ...unsupportedFields(PREFERENCE_FILTERS),
            sort_options: Type.Optional(Type.Union([Type.Null(), Type.Object({
              field_name: Type.Optional(Type.Union([Type.Null(), Type.String({ enum: ['NAME', 'DISPLAY_NAME', 'AUTHOR', 'CREATED', 'MODIFIED'] })])),
              order: Type.Optional(Type.Union([Type.Null(), Type.String({ enum: ['ASC', 'DESC'] })])),
            })])),
          }),
        ),
      },
    },
    async (req) => {
      const p = principal(req);
      refuseUnsupported(req.body as Record<string, unknown>, PREFERENCE_FILTERS, `${NO_PREFERENCES} to search by`);
      const body = (req.body ?? {}) as {
        user_identifier?: string; name_pattern?: string; email?: string; privileges?: string[]; org_identifiers?: string[]; record_offset?: number; record_size?: number;
        display_name?: string; visibility?: string; account_type?: string; account_status?: string; group_identifiers?: string[]; role_identifiers?: string[];
        sort_options?: { field_name?: string | null; order?: string | null } | null;
      };
      const admin = allows(p.user.privileges, 'administer');
      // A non-administrator sees the members of its current org, and of their orgs only those it
      // belongs to itself (the others' names and ids showed through, API fuzzing 2026-12-07).
      const orgs = (await ctx.store.listOrgs()).filter((o) => admin || p.user.orgIds.includes(o.id));
      let users = await ctx.store.listUsers();
      if (!admin) users = users.filter((u) => u.orgIds.includes(p.org.id));
      if (body.user_identifier) users = users.filter((u) => u.id === body.user_identifier || u.name === body.user_identifier);
      if (body.name_pattern) {
        const pattern = namePattern(body.name_pattern);
        users = users.filter((u) => pattern.test(u.name) || pattern.test(u.displayName));
      }
      if (body.email) users = users.filter((u) => u.email === body.email);
      if (body.display_name) users = users.filter((u) => u.displayName.toLowerCase() === body.display_name!.toLowerCase());
      const oneOfAll = (given: string | undefined, every: string) => given === undefined || given === every;
      if (!oneOfAll(body.visibility, 'SHARABLE') || !oneOfAll(body.account_type, 'LOCAL_USER') || !oneOfAll(body.account_status, 'ACTIVE')) users = [];
      if (body.group_identifiers?.length || body.role_identifiers?.length) users = [];
      if (body.privileges?.length) users = users.filter((u) => body.privileges!.some((x) => u.privileges.includes(x)));
      if (body.org_identifiers?.length) {
        const ids = orgs.filter((o) => body.org_identifiers!.some((i) => i === String(o.id) || i === o.name)).map((o) => o.id);
        users = users.filter((u) => u.orgIds.some((o) => ids.includes(o)));
      }
      users = sortUsers(users, body.sort_options?.field_name ?? 'NAME', body.sort_options?.order ?? 'ASC');
      const { offset, limit } = page(body.record_offset, body.record_size);
      return users.slice(offset, offset + limit).map((u) => userResponse(u, orgs));
    },
  );

  const UserParam = Type.Object({ user_identifier: Type.String() });

  app.post(
    '/api/rest/2.0/users/:user_identifier/update',
    {
      config: { access: 'administer' },
      schema: {
        tags,
        params: UserParam,
        body: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 255 })),
          display_name: Type.Optional(Type.String({ maxLength: 255 })),
          email: Type.Optional(Type.String({ maxLength: 320 })),
          org_identifiers: Type.Optional(Type.Array(Type.String(), { maxItems: 1000 })),
          // The SDK's default is REPLACE.
          operation: Type.Optional(Type.String({ enum: ['ADD', 'REMOVE', 'REPLACE'] })),
          privileges: Type.Optional(Type.Array(Type.String({ enum: [...PRIVILEGES] }))),
          ...FIXED_ACCOUNT_FIELDS,
          ...unsupportedFields(PREFERENCE_FIELDS),
        }),
      },
    },
    async (req, reply) => {
      refuseUnsupported(req.body as Record<string, unknown>, PREFERENCE_FIELDS, NO_PREFERENCES);
      const { user_identifier } = req.params as { user_identifier: string };
      const body = req.body as { name?: string; display_name?: string; email?: string; org_identifiers?: string[]; operation?: 'ADD' | 'REMOVE' | 'REPLACE'; privileges?: string[] };
      const user = await userNamed(ctx, user_identifier);
      // Checked once; applied to the user as read (again, if another write came first).
      const name = body.name === undefined ? undefined : checkName(body.name);
      const displayName = body.display_name === undefined ? undefined : checkDisplayName(body.display_name);
      const email = body.email === undefined ? undefined : checkEmail(body.email);
      const named = body.org_identifiers === undefined ? undefined : await orgIdsOf(ctx, body.org_identifiers);
      if (body.operation !== undefined && named === undefined) throw badRequest('operation', 'applies to org_identifiers, which is not given');
      const operation = body.operation ?? 'REPLACE';
      // The store ends the user's sessions in the orgs it leaves.
      await changeUser(ctx, user, (u) => {
        const next: UserRow = { ...u, name: name ?? u.name, displayName: displayName ?? u.displayName, email: email === undefined ? u.email : email };
        if (body.privileges !== undefined) next.privileges = [...new Set(body.privileges)];
        if (named !== undefined) {
          next.orgIds = operation === 'ADD' ? [...new Set([...u.orgIds, ...named])] : operation === 'REMOVE' ? u.orgIds.filter((o) => !named.includes(o)) : [...new Set(named)];
          // A user in no org could never get a token.
          if (!next.orgIds.length) throw badRequest('org_identifiers', 'would leave the user in no org');
        }
        return next;
      }, named !== undefined);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/rest/2.0/users/:user_identifier/delete',
    { config: { access: 'administer' }, schema: { tags, params: UserParam } },
    async (req, reply) => {
      const { user_identifier } = req.params as { user_identifier: string };
      const user = await userNamed(ctx, user_identifier);
      // Its tokens and console sessions go with it.
      const result = await ctx.store.deleteUser(user.id);
      if (result === 'missing') throw notFound('user', user_identifier, 'user_identifier');
      if (result === 'last_admin') throw lastAdministrator('user_identifier', user);
      return reply.status(204).send();
    },
  );
}
