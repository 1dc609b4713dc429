// Accepting events: validate, build the envelope, fan out to the org's subscribed webhooks, and
// commit event + jobs in one transaction before anyone is told "accepted".
import type { AppContext } from '../context.ts';
import { effectiveChannels } from '../domain/channels.ts';
import { EVENT_TYPES, LIVEBOARD_SCHEDULE } from '../domain/events.ts';
import { FieldError } from '../domain/webhook-input.ts';
import type { EventRow, JobKind, JobRow, NewAttachment, PublishItem, WebhookRow } from '../store/types.ts';
import { buildEnvelope } from './envelope.ts';
import { newId } from '../domain/ids.ts';

export const TEST_EVENT_TYPE = 'webhook.test';

export interface EventInput {
  type: string;
  data: Record<string, any>;
  idempotency_key?: string;
}

export const newJobId = () => `n.${newId()}`;

export function newJob(kind: JobKind, event: Pick<EventRow, 'id' | 'type' | 'orgId'>, webhookId: string, now: number): JobRow {
  return {
    id: newJobId(), kind, eventId: event.id, eventType: event.type, webhookId, orgId: event.orgId, status: 'PENDING',
    tryCount: 0, budgetStart: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null,
    createdAt: now, updatedAt: now,
  };
}

export function checkEventInput(e: unknown, field = 'event'): EventInput {
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw new FieldError(field, 'must be an object');
  const v = e as Record<string, unknown>;
  const prefix = field === 'event' ? '' : `${field}.`;
  if (typeof v.type !== 'string' || !EVENT_TYPES.includes(v.type)) throw new FieldError(`${prefix}type`, `must be one of ${EVENT_TYPES.join(', ')}`);
  if (v.data === undefined || v.data === null || typeof v.data !== 'object' || Array.isArray(v.data)) throw new FieldError(`${prefix}data`, 'must be an object');
  if (v.idempotency_key !== undefined && (typeof v.idempotency_key !== 'string' || v.idempotency_key === '' || v.idempotency_key.length > 255)) {
    throw new FieldError(`${prefix}idempotency_key`, 'must be a non-empty string of at most 255 characters');
  }
  return { type: v.type, data: v.data as Record<string, any>, idempotency_key: v.idempotency_key as string | undefined };
}

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
    name: input.data.metadataObject?.name ?? input.data.scheduleDetails?.name ?? null,
    runId: input.data.scheduleDetails?.runId ?? null,
    recipients: recipientsOf(input.type, input.data),
    attachments: attachments.map(({ id, fileName, contentType, size }) => ({ id, fileName, contentType, size })),
    createdAt: now,
  };
  return { event, attachments, jobs: hooks.map((h) => newJob(kind, event, h, now)), idempotencyKey: input.idempotency_key };
}

/**
 * Stores the items; with a worker in this process, the jobs it has room for are leased to it in
 * the same transaction and handed to it after the commit (no claim, no read back).
 */
async function commit(ctx: AppContext, items: PublishItem[]): Promise<{ eventId: string; created: boolean }[]> {
  const reserved = ctx.dispatch?.reserve(items.flatMap((i) => i.jobs)) ?? [];
  let results: { eventId: string; created: boolean }[];
  try {
    results = await ctx.store.publishEvents(items, ctx.config.delivery.idempotencyTtlMs);
  } catch (err) {
    ctx.dispatch?.cancel(reserved);
    throw err;
  }
  // Wake the worker only for jobs it was not handed: waking it to claim nothing cost a claim per
  // publish (bench, 2026-11-22).
  const stored = items.reduce((n, item, i) => n + (results[i].created ? item.jobs.length : 0), 0);
  if (stored > reserved.length) ctx.onPublished?.();
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
  return results.map((r, i) => ({ ...r, jobs: r.created ? items[i].jobs.length : 0 }));
}

/** A webhook.test event for one webhook, whatever it subscribes to. */
export async function publishTest(ctx: AppContext, webhook: WebhookRow): Promise<{ eventId: string; jobId: string }> {
  const now = Date.now();
  const input = { type: TEST_EVENT_TYPE, data: { message: 'This is a test event from HookRelay', webhookId: webhook.id, webhookName: webhook.name } };
  const item = buildItem(ctx, webhook.orgId, input, [webhook.id], 'test', [], now);
  await commit(ctx, [item]);
  return { eventId: item.event.id, jobId: item.jobs[0].id };
}
