// New delivery jobs: one per (event, webhook), PENDING and due at once. Built by publishes on the
// API side and, for the fan-out of a publish, by the store itself (see PublishItem.fanout).
import type { EventRow, JobKind, JobRow, PublishItem } from '../store/types.ts';
import { newId } from './ids.ts';

export const newJobId = () => `n.${newId()}`;

/**
 * The id of an event's job for the webhook at `index` of its targets (the jobs given with the
 * publish first, then its fan-out): the event id, a dot, the index. Derived rather than drawn, so
 * a job that has no row of its own (SQLite's event log, see store/sqlite/log-store.ts) has the
 * same id before its attempt, after it, and when a crash makes a worker read it again.
 */
export const eventJobId = (eventId: string, index: number) => `${eventId}.${index}`;

export function newJob(kind: JobKind, event: Pick<EventRow, 'id' | 'type' | 'orgId'>, webhookId: string, now: number, id: string = newJobId()): JobRow {
  return {
    id, kind, eventId: event.id, eventType: event.type, webhookId, orgId: event.orgId, status: 'PENDING',
    tryCount: 0, budgetStart: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null,
    createdAt: now, updatedAt: now,
  };
}

/** The jobs a publish item stores: its rows and those of its fan-out. */
export const jobCount = (item: PublishItem) => item.jobs.length + (item.fanout?.webhookIds.length ?? 0);

/** The jobs a publish stored: those of its items that were created (not an idempotent repeat). */
export const storedJobCount = (items: PublishItem[], results: { created: boolean }[]) =>
  items.reduce((n, item, i) => n + (results[i].created ? jobCount(item) : 0), 0);
