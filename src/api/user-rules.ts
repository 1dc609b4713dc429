// The rules of a user's fields and changes, shared by the users routes and the password routes:
// names, emails and passwords as they are taken, orgs by id or name, the last administrator kept,
// and a write only if the user is unchanged since it was read.
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../context.ts';
import { notIdShaped, plainName, wellFormed } from '../domain/webhook-input.ts';
import type { UserRow } from '../store/types.ts';
import { badRequest, notFound } from './errors.ts';
import { writeIfUnchanged } from './write-if-unchanged.ts';

/** What HookRelay's users are, and can only be, on create and update (they were accepted and ignored). */
export const FIXED_ACCOUNT_FIELDS = {
  account_type: Type.Optional(Type.String({ enum: ['LOCAL_USER'] })),
  account_status: Type.Optional(Type.String({ enum: ['ACTIVE'] })),
  visibility: Type.Optional(Type.String({ enum: ['SHARABLE'] })),
  group_identifiers: Type.Optional(Type.Array(Type.String(), { maxItems: 0 })),
};

export const PASSWORD = Type.String({ maxLength: 1024 });

/** ThoughtSpot's UI preferences of a user, on create and update: HookRelay's users have none. */
export const PREFERENCE_FIELDS = [
  'notify_on_share', 'show_onboarding_experience', 'onboarding_experience_completed', 'home_liveboard_identifier', 'favorite_metadata',
  'preferred_locale', 'use_browser_language', 'extended_properties', 'extended_preferences',
] as const;
export const EMAIL_FIELDS = ['trigger_welcome_email', 'trigger_activation_email'] as const;
export const NO_PREFERENCES = 'HookRelay users have no ThoughtSpot UI preferences';

/** A user's name as create and update take it: trimmed, not blank, not an id's form. */
export function checkName(name: string): string {
  if (!name.trim()) throw badRequest('name', 'must be a non-empty string');
  // The API's schemas say so too; the CLI's user create has only this (the sign-in caps usernames there).
  if (name.length > 255) throw badRequest('name', 'must be at most 255 characters');
  wellFormed(name, 'name');
  plainName(name, 'name');
  notIdShaped(name, 'name');
  return name.trim();
}

export function checkDisplayName(name: string): string {
  if (!name.trim()) throw badRequest('display_name', 'must be a non-empty string');
  plainName(name, 'display_name');
  return name;
}

export function checkEmail(email: string | undefined): string | null {
  if (email === undefined || email === '') return null;
  if (!/^[^\s@\x00-\x1f\x7f]+@[^\s@\x00-\x1f\x7f]+$/.test(email)) throw badRequest('email', 'must be an email address (name@domain)');
  return email;
}

export function checkPassword(password: string, field: string): string {
  if (password.length < 8) throw badRequest(field, 'must be at least 8 characters');
  if (!password.trim()) throw badRequest(field, 'must not be only spaces');
  return password;
}

/** Org ids by id or name, each an org that exists. */
export async function orgIdsOf(ctx: AppContext, identifiers: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const [i, id] of identifiers.entries()) {
    const org = await ctx.store.findOrg(id);
    if (!org) throw notFound('org', id, `org_identifiers[${i}]`);
    ids.push(org.id);
  }
  return ids;
}

/** A user an administrator names, or not found. */
export async function userNamed(ctx: AppContext, identifier: string): Promise<UserRow> {
  const user = await ctx.store.findUser(identifier);
  if (!user) throw notFound('user', identifier, 'user_identifier');
  return user;
}

/**
 * The store refuses to take ADMINISTRATION from the last user holding it (updateUser, deleteUser):
 * nobody could then manage orgs or users, and only the database could give the privilege back.
 */
export const lastAdministrator = (field: string, user: UserRow) => badRequest(field, `would leave no user with ADMINISTRATION ("${user.name}" is the last one)`);

/**
 * Applies `change` to the user (as read: `first`, then again from a fresh read when another write
 * came first, an update or a change of its orgs) and writes it (writeIfUnchanged).
 */
export function changeUser(ctx: AppContext, first: UserRow, change: (u: UserRow) => UserRow, orgs: boolean): Promise<void> {
  return writeIfUnchanged(
    { kind: 'user', identifier: first.name, field: 'user_identifier' },
    () => ctx.store.findUser(first.id),
    async (before) => {
      const result = await ctx.store.updateUser({ ...change(before), modifiedAt: Math.max(Date.now(), before.modifiedAt + 1) }, before.modifiedAt, orgs);
      if (result === 'last_admin') throw lastAdministrator('privileges', before);
      return result;
    },
    first,
  );
}
