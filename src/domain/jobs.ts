// New delivery jobs: one per (event, webhook), PENDING and due at once. Built by publishes on the
// API side and, for the fan-out of a publish, by the store itself (see PublishItem.fanout).
import type { EventRow, JobKind, JobRow, PublishItem } from '../store/types.ts';
import { newId } from './ids.ts';

export const newJobId = () => `n.${newId()}`;

export function newJob(kind: JobKind, event: Pick<EventRow, 'id' | 'type' | 'orgId'>, webhookId: string, now: number): JobRow {
  return {
    id: newJobId(), kind, eventId: event.id, eventType: event.type, webhookId, orgId: event.orgId, status: 'PENDING',
    tryCount: 0, budgetStart: 0, nextAttemptAt: now, leaseOwner: null, leaseUntil: null, detail: null, lastStatus: null,
    createdAt: now, updatedAt: now,
  };
}

/** The jobs a publish item stores: its rows and those of its fan-out. */
export const jobCount = (item: PublishItem) => item.jobs.length + (item.fanout?.webhookIds.length ?? 0);

/** The jobs a publish stored: those of its items that were created (not an idempotent repeat). */
export const storedJobCount = (items: PublishItem[], results: { created: boolean }[]) =>
  items.reduce((n, item, i) => n + (results[i].created ? jobCount(item) : 0), 0);
