// Accepting events: validate, build the envelope, fan out to the org's subscribed webhooks, and
// commit event + jobs in one transaction before anyone is told "accepted".
import type { AppContext } from '../context.ts';
import { effectiveChannels } from '../domain/channels.ts';
import { EVENT_TYPES, LIVEBOARD_SCHEDULE } from '../domain/events.ts';
import { FieldError } from '../domain/webhook-input.ts';
import type { EventRow, JobKind, JobRow, NewAttachment, PublishItem, WebhookRow } from '../store/types.ts';
import { buildEnvelope } from './envelope.ts';
import { newId } from '../domain/ids.ts';
import { eventJobId, jobCount, newJob, storedJobCount } from '../domain/jobs.ts';

export const TEST_EVENT_TYPE = 'webhook.test';

/** An event's fields in a publish (org_identifier: the single publish's org, checked by its route). */
const EVENT_FIELDS = new Set(['type', 'data', 'idempotency_key', 'org_identifier']);

export interface EventInput {
  type: string;
  data: Record<string, any>;
  idempotency_key?: string;
}


export function checkEventInput(e: unknown, field = 'event'): EventInput {
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw new FieldError(field, 'must be an object');
  const v = e as Record<string, unknown>;
  const prefix = field === 'event' ? '' : `${field}.`;
  // A misspelt field was dropped without a word (idempotencyKey: a publish without deduplication).
  for (const k of Object.keys(v)) if (!EVENT_FIELDS.has(k)) throw new FieldError(`${prefix}${k}`, 'is not a field of an event (misspelt?)');
  if (typeof v.type !== 'string' || !EVENT_TYPES.includes(v.type)) throw new FieldError(`${prefix}type`, `must be one of ${EVENT_TYPES.join(', ')}`);
  if (v.data === undefined || v.data === null || typeof v.data !== 'object' || Array.isArray(v.data)) throw new FieldError(`${prefix}data`, 'must be an object');
  if (v.idempotency_key !== undefined && (typeof v.idempotency_key !== 'string' || v.idempotency_key === '' || v.idempotency_key.length > 255)) {
    throw new FieldError(`${prefix}idempotency_key`, 'must be a non-empty string of at most 255 characters');
  }
  if (v.type === LIVEBOARD_SCHEDULE) checkLiveboardData(v.data as Record<string, unknown>, `${prefix}data`);
  return { type: v.type, data: v.data as Record<string, any>, idempotency_key: v.idempotency_key as string | undefined };
}

/** The parts of a Liveboard schedule's data that go into its payload and its row, when given. */
function checkLiveboardData(data: Record<string, unknown>, field: string): void {
  const object = (key: string) => {
    const v = data[key];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new FieldError(`${field}.${key}`, 'must be an object');
    return (v ?? {}) as Record<string, unknown>;
  };
  const text = (of: Record<string, unknown>, path: string, key: string) => {
    const v = of[key];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new FieldError(`${field}.${path}.${key}`, 'must be a string');
  };
  text(object('metadataObject'), 'metadataObject', 'name');
  const schedule = object('scheduleDetails');
  text(schedule, 'scheduleDetails', 'name');
  text(schedule, 'scheduleDetails', 'runId');
  if (data.recipients !== undefined && data.recipients !== null && !Array.isArray(data.recipients)) throw new FieldError(`${field}.recipients`, 'must be an array');
}

/** A string field of an event's data, or null (other event types' data is free-form: any other value is not a name). */
const textOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function recipientsOf(type: string, data: Record<string, any>): unknown[] | null {
  if (type !== LIVEBOARD_SCHEDULE || !Array.isArray(data.recipients)) return null;
  return data.recipients.map((r: any) => ({ type: r?.type === 'EXTERNAL' ? 'EXTERNAL' : 'USER', id: r?.id ?? null, name: r?.name ?? null, email: r?.email ?? null }));
}

/** The webhooks an event of this type goes to, after channel preferences. */
async function targetsOf(ctx: AppContext, orgId: number, type: string): Promise<string[]> {
  const hooks = await ctx.store.subscribedWebhookIds(orgId, type);
  if (!hooks.length || type !== LIVEBOARD_SCHEDULE) return hooks;
  const channels = effectiveChannels(type, await ctx.store.getOrgPreferences(orgId), await ctx.store.getClusterPreferences());
  return channels.includes('WEBHOOK') ? hooks : [];
}

function buildItem(ctx: AppContext, orgId: number, input: EventInput, hooks: string[], kind: JobKind, attachments: NewAttachment[], now: number): PublishItem {
  const id = `n.${newId()}`;
  const d = ctx.config.delivery;
  const payload = buildEnvelope(input.type, input.data, {
    eventId: id, orgId, createdAt: now, applicationUrl: d.publicUrl, instanceId: d.instanceId,
    channelId: input.type === LIVEBOARD_SCHEDULE ? (hooks[0] ?? null) : null,
  });
  const event: EventRow = {
    id, orgId, type: input.type, payload,
    name: textOrNull(input.data.metadataObject?.name) ?? textOrNull(input.data.scheduleDetails?.name),
    runId: textOrNull(input.data.scheduleDetails?.runId),
    recipients: recipientsOf(input.type, input.data),
    attachments: attachments.map(({ id, fileName, contentType, size }) => ({ id, fileName, contentType, size })),
    createdAt: now,
  };
  // The jobs are made by the store (fanout), except those this process's worker takes (commit).
  return { event, attachments, jobs: [], fanout: { kind, webhookIds: hooks }, idempotencyKey: input.idempotency_key };
}

/**
 * Moves the jobs this process's worker has room for from the items' fan-out to explicit rows
 * leased to it. Items keep sharing one fan-out list (hooks of their event type) unless a job was
 * taken from theirs: a shared list crosses to the storage thread once for the whole batch.
 */
function reserve(dispatch: NonNullable<AppContext['dispatch']>, items: PublishItem[]): JobRow[] {
  const reserved: JobRow[] = [];
  for (const item of items) {
    for (const job of item.jobs) {
      if (!dispatch.hasRoom(job.webhookId)) continue;
      dispatch.reserve(job);
      reserved.push(job);
    }
    const f = item.fanout;
    if (!f || !f.webhookIds.some((h) => dispatch.hasRoom(h))) continue;
    const rest: string[] = [];
    for (const h of f.webhookIds) {
      if (!dispatch.hasRoom(h)) {
        rest.push(h);
        continue;
      }
      // Its index among the event's targets: the rows given, then the fan-out (see eventJobId).
      const job = newJob(f.kind, item.event, h, item.event.createdAt, eventJobId(item.event.id, item.jobs.length));
      dispatch.reserve(job);
      item.jobs.push(job);
      reserved.push(job);
    }
    item.fanout = { kind: f.kind, webhookIds: rest };
  }
  return reserved;
}

/** The webhooks of the stored jobs not handed to this process's worker (reserved jobs are leased). */
function waitingWebhooks(items: PublishItem[], results: { created: boolean }[]): Set<string> {
  const ids = new Set<string>();
  items.forEach((item, i) => {
    if (!results[i].created) return;
    for (const j of item.jobs) if (j.leaseOwner === null) ids.add(j.webhookId);
    // Items of one batch share their fan-out list: it is read once.
    if (item.fanout && (i === 0 || item.fanout !== items[i - 1].fanout)) for (const h of item.fanout.webhookIds) ids.add(h);
  });
  return ids;
}

/**
 * Stores the items; with a worker in this process, the jobs it has room for are leased to it in
 * the same transaction and handed to it after the commit (no claim, no read back).
 */
async function commit(ctx: AppContext, items: PublishItem[]): Promise<{ eventId: string; created: boolean }[]> {
  const reserved = ctx.dispatch ? reserve(ctx.dispatch, items) : [];
  let results: { eventId: string; created: boolean }[];
  try {
    results = await ctx.store.publishEvents(items, ctx.config.delivery.idempotencyTtlMs);
  } catch (err) {
    ctx.dispatch?.cancel(reserved);
    throw err;
  }
  // Wake the worker only for jobs it was not handed: waking it to claim nothing cost a claim per
  // publish (bench, 2026-11-22).
  ctx.metrics.published(items.map((i) => i.event.type), results.map((r) => r.created));
  const stored = storedJobCount(items, results);
  if (stored > reserved.length) ctx.onPublished?.(waitingWebhooks(items, results));
  if (reserved.length) {
    // A duplicate (idempotency key already used) stored none of its jobs.
    const created = new Set(items.filter((_, i) => results[i].created).map((i) => i.event.id));
    ctx.dispatch!.cancel(reserved.filter((j) => !created.has(j.eventId)));
    ctx.dispatch!.start(reserved.filter((j) => created.has(j.eventId)), items.filter((i) => created.has(i.event.id)).map((i) => i.event));
  }
  return results;
}

/** Publishes events of one org; resolves only after they are committed. */
export async function publishEvents(ctx: AppContext, orgId: number, inputs: EventInput[], attachments: NewAttachment[] = []): Promise<{ eventId: string; created: boolean; jobs: number }[]> {
  const now = Date.now();
  const targets = new Map<string, string[]>();
  for (const type of new Set(inputs.map((i) => i.type))) targets.set(type, await targetsOf(ctx, orgId, type));
  const items = inputs.map((input) => buildItem(ctx, orgId, input, targets.get(input.type)!, 'event', attachments, now));
  const results = await commit(ctx, items);
  return results.map((r, i) => ({ ...r, jobs: r.created ? jobCount(items[i]) : 0 }));
}

/** A webhook.test event for one webhook, whatever it subscribes to. */
export async function publishTest(ctx: AppContext, webhook: WebhookRow): Promise<{ eventId: string; jobId: string }> {
  const now = Date.now();
  const input = { type: TEST_EVENT_TYPE, data: { message: 'This is a test event from HookRelay', webhookId: webhook.id, webhookName: webhook.name } };
  const item = buildItem(ctx, webhook.orgId, input, [], 'test', [], now);
  // Its job as a row: its id is the answer.
  item.jobs.push(newJob('test', item.event, webhook.id, now));
  await commit(ctx, [item]);
  return { eventId: item.event.id, jobId: item.jobs[0].id };
}
