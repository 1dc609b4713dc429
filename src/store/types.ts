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
    /** missing_reference: a row it refers to (an org, a user) was deleted meanwhile (a foreign key). */
    readonly constraint: 'org_name' | 'user_name' | 'webhook_name' | 'webhook_liveboard' | 'missing_reference' | 'other',
    message: string,
  ) {
    super(message);
  }
}

export interface Store extends QueueStore {
  readonly engine: 'sqlite' | 'postgres';
  /** Applies pending migrations (one process at a time); returns the versions it applied. */
  /** Applies the pending migrations; `onWaiting` hears, every 10 s, of a wait for another process's migration (PostgreSQL). */
  migrate(opts?: { onWaiting?: (message: string) => void; noticeEveryMs?: number }): Promise<string[]>;
  ping(): Promise<void>;
  /**
   * The fingerprint of the key that encrypts this database's secrets: the one stored, or, when
   * none is, `fingerprint`, stored now (the first of processes racing wins). See SecretBox.fingerprint.
   */
  keyFingerprint(fingerprint: string): Promise<string>;
  /** A webhook holding a sealed secret (authentication or signature), any, or null: to try a key on. */
  anyWebhookWithSecrets(): Promise<WebhookRow | null>;
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
  /**
   * Writes a user's fields (and its orgs when `orgs`) if the row is still the one read
   * (modified_at = readAt; `u.modifiedAt` must differ from it): 'changed' when another write came
   * first (changeOrgMembers counts), 'missing' when the user is gone, 'last_admin' when it would
   * take ADMINISTRATION from the last user holding it. A name taken is a ConflictError (user_name).
   * The user's sessions in the orgs it leaves end with the write (unless it is an administrator),
   * and all its sessions when its password changes.
   */
  updateUser(u: UserRow, readAt: number, orgs: boolean): Promise<'updated' | 'changed' | 'missing' | 'last_admin'>;
  /** Deletes a user with its org memberships and tokens, unless it is the last with ADMINISTRATION. */
  deleteUser(id: string): Promise<'deleted' | 'missing' | 'last_admin'>;
  /**
   * The org's members: these users added, removed, or made its only members, in one transaction.
   * Answers the names of the users it would leave in no org, in which case it changes nothing.
   * The sessions of the users who leave, in this org, end with it (unless they are administrators).
   */
  changeOrgMembers(orgId: number, userIds: string[], operation: 'ADD' | 'REMOVE' | 'REPLACE'): Promise<string[]>;

  insertToken(token: TokenRow): Promise<void>;
  findToken(hash: string): Promise<TokenRow | null>;
  /** The token with its user (and the user's orgs) and the token's org, or null if any is gone. */
  findSession(hash: string): Promise<{ token: TokenRow; user: UserRow; org: OrgRow } | null>;
  revokeToken(hash: string, at: number): Promise<boolean>;
  /**
   * Deletes up to `limit` tokens (bearer tokens and console sessions) expired before `now`, revoked
   * or not: an expired token is refused as an unknown one is. Answers how many (retention).
   */
  pruneExpiredTokens(now: number, limit: number): Promise<number>;
  revokeUserTokens(userId: string, at: number): Promise<number>;

  insertWebhook(webhook: WebhookRow): Promise<void>;
  /** By id or by name, within one org only. */
  findWebhook(orgId: number, identifier: string): Promise<WebhookRow | null>;
  searchWebhooks(query: WebhookQuery): Promise<{ rows: WebhookRow[]; total: number }>;
  /**
   * Replaces every field but id, org and creation data, if the stored row is still the one read
   * (its modifiedAt is `readAt`): 'changed' when another update came first (read it again and
   * apply the change to that), 'missing' when there is no such webhook in the org.
   */
  updateWebhook(webhook: WebhookRow, readAt: number): Promise<'updated' | 'changed' | 'missing'>;
  deleteWebhook(orgId: number, id: string): Promise<boolean>;
  /** Ids of the org's webhooks subscribed to the event type: the fan-out of a publish. */
  subscribedWebhookIds(orgId: number, eventType: string): Promise<string[]>;

  getClusterPreferences(): Promise<ChannelPreference[]>;
  getOrgPreferences(orgId: number): Promise<ChannelPreference[]>;
  /**
   * One configure request's changes in one transaction: written one store call at a time,
   * configures sent at once ended in mixes no order of them gives (concurrency fuzzing,
   * 2026-12-07), and preferences decide where Liveboard schedules go.
   */
  configurePreferences(change: PreferenceChange): Promise<void>;
}

// ---- delivery (events, jobs, attempts)

/** Channel preferences to write together: the cluster's, then each org's, in order. */
export interface PreferenceChange {
  /** Sets these event types' cluster channels, leaving other event types alone. */
  cluster: ChannelPreference[] | null;
  /** REPLACE sets the given event types' org channels; RESET removes the org's overrides for these event types, or all when null. */
  orgs: ({ orgId: number; op: 'REPLACE'; prefs: ChannelPreference[] } | { orgId: number; op: 'RESET'; eventTypes: string[] | null })[];
}

export type JobStatus = 'PENDING' | 'RETRY' | 'SUCCESS' | 'FAILED';

/** What one pruneHistory call deleted. */
export interface PruneResult {
  events: number;
  jobs: number;
  attempts: number;
}
export type JobKind = 'event' | 'test' | 'validation';

export interface AttachmentMeta {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface NewAttachment extends AttachmentMeta {
  data: Buffer;
}

export interface EventRow {
  id: string;
  orgId: number;
  type: string;
  /** The JSON body exactly as delivered, fixed at publish so every retry sends the same bytes. */
  payload: string;
  name: string | null;
  runId: string | null;
  recipients: unknown[] | null;
  attachments: AttachmentMeta[];
  createdAt: number;
}

/**
 * An event as a claim hands it to the worker. SQLite gives the payload as its bytes, ready to
 * send (see SqlQueueStore.claimWithEvents); PostgreSQL as text.
 */
export type ClaimedEvent = Omit<EventRow, 'payload'> & { payload: string | Buffer };

export interface JobRow {
  id: string;
  kind: JobKind;
  eventId: string;
  eventType: string;
  webhookId: string;
  orgId: number;
  status: JobStatus;
  tryCount: number;
  budgetStart: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  detail: string | null;
  lastStatus: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface AttemptRow {
  id: string;
  jobId: string;
  eventId: string;
  webhookId: string;
  orgId: number;
  attemptNo: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  success: boolean;
  error: string | null;
  responseBody: string | null;
  requestHeaders: Record<string, string>;
}

/** What an attempt did to its job: delivered, scheduled again, or dead. */
export interface JobTransition {
  status: 'SUCCESS' | 'RETRY' | 'FAILED';
  nextAttemptAt: number | null;
  detail: string | null;
}

/** An attempt to record, by the worker that holds its job's lease, and what it did to the job. */
export interface Completion {
  attempt: AttemptRow;
  owner: string;
  transition: JobTransition;
}

export interface JobQuery {
  orgId: number;
  jobIds?: string[];
  webhookIds?: string[];
  statuses?: JobStatus[];
  eventTypes?: string[];
  eventIds?: string[];
  since?: number;
  until?: number;
  kinds?: JobKind[];
  offset: number;
  limit: number;
  order: 'ASC' | 'DESC';
}

export interface AttemptQuery {
  orgId: number;
  webhookId: string;
  success?: boolean;
  since?: number;
  until?: number;
  offset: number;
  limit: number;
  /** Count the matches up to this many only (the total is then at most this); all of them if not given. */
  countUpTo?: number;
}

export interface ClaimRequest {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** Webhooks at their concurrency limit in this worker: their jobs wait in the table instead. */
  excludeWebhookIds: string[];
}

export interface PublishItem {
  event: EventRow;
  attachments: NewAttachment[];
  /** Jobs given as rows (those leased to this process's worker at publish, a test's job). */
  jobs: JobRow[];
  /**
   * Webhooks that each get a new PENDING job (newJob) made by the store, a chunk at a time while
   * it inserts them. Bench (2026-11-22, fan-out of 1,000 events to 100 webhooks): jobs built as
   * rows by the publish were 10,000 rows per batch in memory on both sides of the storage
   * thread, and the peak of the service's RSS.
   */
  fanout?: { kind: JobKind; webhookIds: string[] };
  idempotencyKey?: string;
}

export interface QueueStore {
  /**
   * Commits the events, their attachments and their jobs in one transaction. An event whose
   * idempotency key was already used in the org and has not expired creates nothing: its result
   * carries the first event's id and created=false.
   */
  publishEvents(items: PublishItem[], idempotencyTtlMs: number): Promise<{ eventId: string; created: boolean }[]>;
  findEvent(orgId: number, id: string): Promise<EventRow | null>;
  findEvents(orgId: number, ids: string[]): Promise<EventRow[]>;
  getAttachmentData(eventId: string): Promise<NewAttachment[]>;
  insertJobs(jobs: JobRow[]): Promise<void>;
  findJob(orgId: number, id: string): Promise<JobRow | null>;
  /** Atomically leases up to `limit` due jobs, including those whose lease expired. */
  claimDue(req: ClaimRequest): Promise<JobRow[]>;
  /**
   * claimDue, and the events of the claimed jobs, in one call: one message to a storage thread
   * instead of two, each of which may wait behind a group commit.
   */
  claimWithEvents(req: ClaimRequest): Promise<{ jobs: JobRow[]; events: ClaimedEvent[] }>;
  /** Records the attempt and moves the job, in one transaction; false when the lease was lost. */
  completeAttempt(attempt: AttemptRow, owner: string, transition: JobTransition): Promise<boolean>;
  /** completeAttempt for many attempts in one transaction (group commit). */
  completeAttempts(items: Completion[]): Promise<boolean[]>;
  /** Gives claimed jobs back unattempted (shutdown), so another worker takes them at once. */
  releaseLeases(owner: string, jobIds: string[]): Promise<void>;
  searchJobs(query: JobQuery): Promise<{ rows: JobRow[]; total: number }>;
  /** searchJobs' page without its total (which counts every match). */
  listJobs(query: JobQuery): Promise<JobRow[]>;
  searchAttempts(query: AttemptQuery): Promise<{ rows: AttemptRow[]; total: number }>;
  lastAttempt(jobId: string): Promise<AttemptRow | null>;
  /** The newest attempt of each webhook of the org (for the console's webhook table). */
  /** The latest attempt of each webhook of the org (of those named, when `webhookIds` is given). */
  latestAttemptPerWebhook(orgId: number, webhookIds?: string[]): Promise<AttemptRow[]>;
  /** FAILED jobs back to PENDING with a fresh retry budget; returns the ids requeued. */
  requeueFailed(orgId: number, jobIds: string[], now: number): Promise<string[]>;
  /**
   * Deletes, oldest first, up to `limit` events created before `before` whose jobs are all over
   * (delivered or failed; none pending, retrying or waiting in the event log), with their
   * attachments, jobs rows and attempts, in one transaction (retention, src/services/retention.ts).
   */
  pruneHistory(before: number, limit: number): Promise<PruneResult>;
  /**
   * Deletes, oldest first, up to `limit` channel validation jobs created before `before`, with
   * their attempts (they have no event, so pruneHistory never reaches them); answers how many jobs.
   */
  pruneValidations(before: number, limit: number): Promise<number>;
  /** Deletes up to `limit` idempotency keys expired before `now` (an expired key counts as absent); answers how many. */
  pruneIdempotencyKeys(now: number, limit: number): Promise<number>;
  countByStatus(): Promise<Record<string, number>>;
  /** The queue's state for the metrics (src/observability/metrics.ts): reads indexes and the log's unread rows only. */
  queueStats(now: number): Promise<QueueStats>;
}

/** What is waiting in the delivery queue, for every process of the database (all orgs). */
export interface QueueStats {
  /** Jobs due by `now` not yet over (PENDING or RETRY, those in flight included): jobs rows, and the event log's jobs not attempted yet. */
  dueJobs: number;
  /** Jobs whose next attempt is after `now`: retries waiting out their delay. */
  scheduledJobs: number;
  /** Since when the oldest due job has been due (epoch ms); null when none is. */
  oldestDueAt: number | null;
  /** The dead-letter queue: FAILED event and test jobs of existing orgs. */
  deadLetters: number;
}
