// How the delivery path's rows cross between the main thread and the storage thread: as arrays
// of column values, not objects. A structured clone writes every object's property names and
// rebuilds the object one property at a time on the other side; arrays of plain values copy
// faster, even with the objects built again on arrival. Measured (2026-11-23, encode + clone +
// decode per row, against the clone of the objects): an attempt record with its request headers
// 6.2 -> 4.6 us, a published event with its job 7.0-8.6 -> 6.7-7.7 us, a claimed job with its
// event 6.1-6.4 -> 4.7-5.0 us. The store alone on its thread (30,000 events published, claimed
// and recorded, five alternated pairs): main thread 20-23 -> 16-20 us per delivery, storage
// thread 58-67 -> 52-65 us.
// Only the hot calls (publishes, claims, attempt records) are encoded; every other call crosses
// as it is.
import { jobParams, toJob } from '../sql-queue.ts';
import type { ClaimedEvent, Completion, EventRow, JobRow, NewAttachment, PublishItem } from '../types.ts';

function event(e: EventRow | ClaimedEvent): unknown[] {
  return [e.id, e.orgId, e.type, e.payload, e.name, e.runId, e.recipients, e.attachments, e.createdAt];
}

function toEvent(w: any[]): EventRow {
  return { id: w[0], orgId: w[1], type: w[2], payload: w[3], name: w[4], runId: w[5], recipients: w[6], attachments: w[7], createdAt: w[8] };
}

/** A claimed event: its payload bytes arrive as a Uint8Array (structured clone), sent as a Buffer. */
function toClaimedEvent(w: any[]): ClaimedEvent {
  const p = w[3] as string | Uint8Array;
  if (typeof p !== 'string') w[3] = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  return toEvent(w);
}

/** Request headers as [name, value, name, value, ...]: their order is kept. */
function completion({ attempt: a, owner, transition: t }: Completion): unknown[] {
  const headers: string[] = [];
  for (const k in a.requestHeaders) headers.push(k, a.requestHeaders[k]);
  return [a.id, a.jobId, a.eventId, a.webhookId, a.orgId, a.attemptNo, a.startedAt, a.durationMs, a.statusCode, a.success, a.error, a.responseBody, headers, owner, t.status, t.nextAttemptAt, t.detail];
}

function toCompletion(w: any[]): Completion {
  const requestHeaders: Record<string, string> = {};
  const h = w[12] as string[];
  for (let i = 0; i < h.length; i += 2) requestHeaders[h[i]] = h[i + 1];
  return {
    attempt: {
      id: w[0], jobId: w[1], eventId: w[2], webhookId: w[3], orgId: w[4], attemptNo: w[5], startedAt: w[6], durationMs: w[7],
      statusCode: w[8], success: w[9], error: w[10], responseBody: w[11], requestHeaders,
    },
    owner: w[13],
    transition: { status: w[14], nextAttemptAt: w[15], detail: w[16] },
  };
}

/** Structured clone turns Buffers into Uint8Arrays; SQLite must bind file contents as blobs. */
function revive(files: NewAttachment[]): NewAttachment[] {
  for (const f of files) f.data = Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength);
  return files;
}

interface Codec {
  /** Arguments: encoded on the main thread, decoded on the storage thread. */
  args?: { encode(a: any[]): unknown[]; decode(w: any[]): unknown[] };
  /** The result: encoded on the storage thread, decoded on the main thread. */
  result?: { encode(v: any): unknown; decode(w: any): unknown };
}

/** The Store methods whose arguments or results cross encoded, by name. */
export const ROW_CODECS: Record<string, Codec> = {
  publishEvents: {
    args: {
      encode: ([items, ttl]: [PublishItem[], number]) => [items.map((i) => [event(i.event), i.attachments, i.jobs.map(jobParams), i.fanout, i.idempotencyKey]), ttl],
      decode: ([items, ttl]: [any[][], number]) => [
        items.map((w): PublishItem => ({ event: toEvent(w[0]), attachments: revive(w[1]), jobs: (w[2] as any[][]).map(toJob), fanout: w[3], idempotencyKey: w[4] })),
        ttl,
      ],
    },
    result: {
      encode: (v: { eventId: string; created: boolean }[]) => [v.map((r) => r.eventId), v.map((r) => r.created)],
      decode: ([ids, created]: [string[], boolean[]]) => ids.map((eventId, i) => ({ eventId, created: created[i] })),
    },
  },
  claimWithEvents: {
    result: {
      // (Jobs as one JSON text, as attempt records below, measured no faster: 1.0-1.4 us a job
      // either way, their many numbers cheap to clone and dear to print.)
      encode: (v: { jobs: JobRow[]; events: ClaimedEvent[] }) => [v.jobs.map(jobParams), v.events.map(event)],
      decode: ([jobs, events]: [any[][], any[][]]) => ({ jobs: jobs.map(toJob), events: events.map(toClaimedEvent) }),
    },
  },
  // Attempt records cross as one JSON text of their arrays: every value is a string, number,
  // boolean or null, and a clone of one string is a copy where arrays are written and rebuilt
  // value by value. Measured (2026-11-23, 20 records of a signed 204, v8.serialize standing in
  // for postMessage's clone): encode 1.56 -> 1.25 us a record (main thread), decode 2.1 -> 1.4
  // (storage thread). JSON.stringify escapes lone surrogates of a response body and JSON.parse
  // restores them, so the text round-trips exactly.
  completeAttempts: {
    args: {
      encode: ([items]: [Completion[]]) => [JSON.stringify(items.map(completion))],
      decode: ([json]: [string]) => [(JSON.parse(json) as any[][]).map(toCompletion)],
    },
  },
};
