// Orgs, users and tokens: the rules shared by the REST API and the CLI.
import crypto from 'node:crypto';
import { hashPassword, verifyPassword, DUMMY_HASH } from '../security/passwords.ts';
import { newToken, tokenHash } from '../security/tokens.ts';
import type { OrgRow, Store, TokenRow, UserRow } from '../store/types.ts';

export const PRIMARY_ORG_ID = 0;

export class IdentityError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A sign-in with a wrong password or an unknown user: what the sign-in throttle counts. */
export class BadCredentials extends IdentityError {
  constructor() {
    super(401, 'invalid username or password');
  }
}

/** The Primary org exists from the first start; ensured on every start so it cannot go missing. */
export async function ensurePrimaryOrg(store: Store): Promise<void> {
  if (await store.findOrg(String(PRIMARY_ORG_ID))) return;
  try {
    await store.createOrg({ id: PRIMARY_ORG_ID, name: 'Primary', description: 'Primary org', status: 'ACTIVE', visibility: 'SHOW', createdAt: Date.now() });
  } catch (err) {
    // Another process created it between our read and write.
    if (!(await store.findOrg(String(PRIMARY_ORG_ID)))) throw err;
  }
}

/**
 * First start: create the administrator when no administrator exists yet. Returns the generated password when
 * one had to be made up, so the caller prints it exactly once.
 */
export async function bootstrapAdmin(store: Store, username: string | null, password: string | null): Promise<{ username: string; generatedPassword: string | null } | null> {
  const hasAdmin = async () => (await store.listUsers()).some((u) => u.privileges.includes('ADMINISTRATION'));
  if (await hasAdmin()) return null;
  const name = username ?? 'admin';
  const generated = password ? null : crypto.randomBytes(18).toString('base64url');
  try {
    await createUser(store, { name, password: password ?? generated!, privileges: ['ADMINISTRATION'], orgIds: [PRIMARY_ORG_ID] });
  } catch (err) {
    if (await hasAdmin()) return null; // a concurrent first start won
    throw err;
  }
  return { username: name, generatedPassword: generated };
}

export async function createUser(
  store: Store,
  input: { name: string; password: string; displayName?: string; email?: string | null; privileges: string[]; orgIds: number[] },
): Promise<UserRow> {
  const now = Date.now();
  const user: UserRow = {
    id: crypto.randomUUID(),
    name: input.name,
    displayName: input.displayName ?? input.name,
    email: input.email ?? null,
    passwordHash: await hashPassword(input.password),
    privileges: [...new Set(input.privileges)],
    orgIds: [...new Set(input.orgIds)],
    createdAt: now,
    modifiedAt: now,
  };
  await store.createUser(user);
  return user;
}

/** Org ids are positive 31-bit integers like ThoughtSpot's, random so they cannot be enumerated. */
export async function createOrg(store: Store, name: string, description: string | null): Promise<OrgRow> {
  const org: OrgRow = {
    id: crypto.randomInt(1_000_000_000, 2_147_483_647),
    name,
    description,
    status: 'ACTIVE',
    visibility: 'SHOW',
    createdAt: Date.now(),
  };
  await store.createOrg(org);
  return org;
}

export interface IssuedToken {
  token: string;
  row: TokenRow;
  user: UserRow;
}

export async function issueToken(
  store: Store,
  input: { username: string; password: string; orgId?: number; validitySec: number },
): Promise<IssuedToken> {
  const user = await store.findUser(input.username);
  // Verify against a dummy hash for unknown users so response time does not reveal who exists.
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_HASH);
  if (!user || !ok) throw new BadCredentials();
  let orgId: number;
  if (input.orgId !== undefined) {
    // Administrators act on every org; others only on the orgs they belong to.
    const admin = user.privileges.includes('ADMINISTRATION');
    if (!user.orgIds.includes(input.orgId)) {
      if (!admin) throw new IdentityError(401, `user is not a member of org ${input.orgId}`, 'org_id');
      if (!(await orgExists(store, input.orgId))) throw new IdentityError(404, `org_id: org ${input.orgId} not found`, 'org_id');
    }
    orgId = input.orgId;
  } else {
    if (user.orgIds.length === 0) throw new IdentityError(401, 'user belongs to no org');
    orgId = user.orgIds.includes(PRIMARY_ORG_ID) ? PRIMARY_ORG_ID : user.orgIds[0];
  }
  return mint(store, user, orgId, input.validitySec);
}

/**
 * Whether the org with this id exists. By id only: findOrg also takes a name, and an org named
 * "-1" or "1e+30" made a token for org -1 or 1e30, which no request could then use (API fuzzing).
 */
async function orgExists(store: Store, orgId: number): Promise<boolean> {
  return (await store.findOrg(String(orgId)))?.id === orgId;
}

/**
 * Stores a token for a user checked against `user` as read before (its password, its orgs), then
 * reads the user again: changed meanwhile (a new password, the org left, the privilege gone), the
 * token is revoked and the sign-in refused. A password change or an org removal revokes the
 * tokens after its own write, so with the write before this read one of the two always sees the
 * other. Without the second read a sign-in that had checked the old password, then spent its
 * ~50 ms of scrypt, stored a token after the change had revoked the others (concurrency fuzzing,
 * 2026-12-07: 148 such tokens lived on).
 */
async function mint(store: Store, user: UserRow, orgId: number, validitySec: number): Promise<IssuedToken> {
  const token = newToken();
  const now = Date.now();
  const row: TokenRow = { hash: tokenHash(token), userId: user.id, orgId, createdAt: now, expiresAt: now + validitySec * 1000, revokedAt: null };
  await store.insertToken(row);
  const current = await store.findUser(user.id);
  const stillMay = current !== null && current.passwordHash === user.passwordHash && (current.orgIds.includes(orgId) || current.privileges.includes('ADMINISTRATION'));
  if (!stillMay) {
    await store.revokeToken(row.hash, Date.now());
    throw new IdentityError(401, 'the account changed during sign-in (its password, orgs or privileges); sign in again');
  }
  return { token, row, user: current };
}

/** Whether the user may act in the org: a member of it, or an administrator (of every org that exists). */
export async function mayActIn(store: Store, user: UserRow, orgId: number): Promise<boolean> {
  return user.orgIds.includes(orgId) || (user.privileges.includes('ADMINISTRATION') && (await orgExists(store, orgId)));
}

/**
 * A token for an already authenticated user in another org (the console's org switcher), which
 * the caller has checked with mayActIn: it ends the old session between the check and this.
 */
export function issueTokenForUser(store: Store, user: UserRow, orgId: number, validitySec: number): Promise<IssuedToken> {
  return mint(store, user, orgId, validitySec);
}

/** The user and org behind a bearer token, or null when it is unknown, expired or revoked. */
export async function resolveToken(store: Store, token: string): Promise<{ row: TokenRow; user: UserRow; org: OrgRow } | null> {
  const found = await store.findSession(tokenHash(token));
  if (!found) return null;
  const { token: row, user, org } = found;
  if (row.revokedAt !== null || row.expiresAt <= Date.now()) return null;
  if (!user.orgIds.includes(row.orgId) && !user.privileges.includes('ADMINISTRATION')) return null;
  return { row, user, org };
}
