// The storage interface: every datastore call of HookRelay goes through these verbs. SQLite and
// PostgreSQL implement it, and test/store-conformance.test.ts runs one suite against both.
import type { ChannelPreference } from '../domain/channels.ts';

export interface OrgRow {
  id: number;
  name: string;
  description: string | null;
  status: 'ACTIVE' | 'IN_ACTIVE';
  visibility: 'SHOW' | 'HIDDEN';
  createdAt: number;
}

export interface UserRow {
  id: string;
  name: string;
  displayName: string;
  email: string | null;
  passwordHash: string;
  privileges: string[];
  orgIds: number[];
  createdAt: number;
  modifiedAt: number;
}

export interface TokenRow {
  hash: string;
  userId: string;
  orgId: number;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export interface KeyValue {
  key: string;
  value: string;
}

/** A webhook as stored: secret leaves of authentication and signature_verification are sealed. */
export interface WebhookRow {
  id: string;
  orgId: number;
  name: string;
  description: string | null;
  url: string;
  urlParams: Record<string, unknown> | null;
  events: string[];
  authentication: Record<string, unknown> | null;
  signatureVerification: Record<string, unknown> | null;
  storageDestination: Record<string, unknown> | null;
  additionalHeaders: KeyValue[] | null;
  createdAt: number;
  modifiedAt: number;
  createdBy: { id: string; name: string } | null;
  modifiedBy: { id: string; name: string } | null;
}

export type WebhookSortField = 'CREATED' | 'MODIFIED' | 'NAME';

export interface WebhookQuery {
  orgId: number;
  /** Matches the id or the name. */
  identifier?: string;
  eventType?: string;
  sortField: WebhookSortField;
  sortOrder: 'ASC' | 'DESC';
  offset: number;
  limit: number;
}

/** A unique constraint was violated; `constraint` says which rule, in domain terms. */
export class ConflictError extends Error {
  constructor(
    readonly constraint: 'org_name' | 'user_name' | 'webhook_name' | 'webhook_liveboard' | 'other',
    message: string,
  ) {
    super(message);
  }
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /** Applies pending migrations (one process at a time); returns the versions it applied. */
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;

  createOrg(org: OrgRow): Promise<void>;
  /** By numeric id or by name. */
  findOrg(identifier: string): Promise<OrgRow | null>;
  listOrgs(): Promise<OrgRow[]>;
  updateOrg(id: number, patch: { name?: string; description?: string | null }): Promise<OrgRow | null>;
  deleteOrg(id: number): Promise<boolean>;

  createUser(user: UserRow): Promise<void>;
  /** By id or by name. */
  findUser(identifier: string): Promise<UserRow | null>;
  listUsers(): Promise<UserRow[]>;
  countUsers(): Promise<number>;
  setUserOrgs(userId: string, orgIds: number[]): Promise<void>;

  insertToken(token: TokenRow): Promise<void>;
  findToken(hash: string): Promise<TokenRow | null>;
  revokeToken(hash: string, at: number): Promise<boolean>;
  revokeUserTokens(userId: string, at: number): Promise<number>;

  insertWebhook(webhook: WebhookRow): Promise<void>;
  /** By id or by name, within one org only. */
  findWebhook(orgId: number, identifier: string): Promise<WebhookRow | null>;
  searchWebhooks(query: WebhookQuery): Promise<{ rows: WebhookRow[]; total: number }>;
  /** Replaces every field but id, org and creation data. */
  updateWebhook(webhook: WebhookRow): Promise<boolean>;
  deleteWebhook(orgId: number, id: string): Promise<boolean>;

  getClusterPreferences(): Promise<ChannelPreference[]>;
  /** Sets the given event types' cluster channels, leaving other event types alone. */
  setClusterPreferences(prefs: ChannelPreference[]): Promise<void>;
  getOrgPreferences(orgId: number): Promise<ChannelPreference[]>;
  /** Sets the given event types' org channels, leaving other event types alone. */
  replaceOrgPreferences(orgId: number, prefs: ChannelPreference[]): Promise<void>;
  /** Removes the org's overrides for these event types, or all of them when null. */
  resetOrgPreferences(orgId: number, eventTypes: string[] | null): Promise<void>;
}
