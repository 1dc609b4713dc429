// ThoughtSpot's delivery monitoring (seed 002): job history search and channel validation.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { createValidationCheck } from '../../delivery/validation.ts';
import { EVENT_TYPES, LIVEBOARD_SCHEDULE } from '../../domain/events.ts';
import { TEST_EVENT_TYPE } from '../../events/publish.ts';
import type { JobQuery, JobRow } from '../../store/types.ts';
import { principal } from '../auth.ts';
import { notFound } from '../errors.ts';
import { channelHistoryJob } from '../views.ts';
import { newId } from '../../domain/ids.ts';

const tags = ['Communication channels'];
/** Jobs a job history search answers at most, newest first. */
const HISTORY_LIMIT = 1000;

/**
 * The jobs of `events`, each entry an event type, or one event of that type when it names one:
 * the jobs of any entry, newest first. (The types and the ids were two filters applied together:
 * an entry with a type only found nothing beside one with an id, and an id matched under any
 * entry's type, API fuzzing 2026-12-07.)
 */
async function jobsOfEvents(ctx: AppContext, query: JobQuery, events: { type: string; identifier?: string | null }[]): Promise<JobRow[]> {
  const types = [...new Set(events.filter((e) => !e.identifier).map((e) => e.type))];
  const named = new Map(events.filter((e) => e.identifier).map((e) => [e.identifier!, new Set<string>()]));
  for (const e of events) if (e.identifier) named.get(e.identifier)!.add(e.type);
  const [ofTypes, ofIds] = await Promise.all([
    types.length ? ctx.store.listJobs({ ...query, eventTypes: types }) : [],
    named.size ? ctx.store.listJobs({ ...query, eventIds: [...named.keys()] }) : [],
  ]);
  const byId = new Map(ofTypes.map((j) => [j.id, j]));
  for (const j of ofIds) if (named.get(j.eventId)?.has(j.eventType)) byId.set(j.id, j);
  // The store's order (updated_at, then id, both descending), across the two reads.
  return [...byId.values()].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, query.limit);
}

export function channelJobRoutes(app: FastifyInstance, ctx: AppContext, validate: ReturnType<typeof createValidationCheck>) {
  /** Job ids or channels a job history search may list; events (each id a range of job ids on SQLite: two parameters, one OR). */
  const MAX_LISTED = 1000;
  const MAX_EVENTS = 500;

  app.post(
    '/api/rest/2.0/jobs/history/communication-channels/search',
    {
      config: { access: 'viewDeliveries' },
      schema: {
        tags,
        body: Type.Object({
          channel_type: Type.String({ enum: ['WEBHOOK'] }),
          // Bounded: each id is a parameter of the page's statements, and SQLite takes at most
          // 32,766 of them and an expression at most 1,000 deep (API fuzzing, 2026-12-07: 6,552 job
          // ids or 1,000 events were a 500).
          job_ids: Type.Optional(Type.Array(Type.String(), { maxItems: MAX_LISTED })),
          channel_identifiers: Type.Optional(Type.Array(Type.String(), { maxItems: MAX_LISTED })),
          channel_status: Type.Optional(Type.String({ enum: ['PENDING', 'RETRY', 'SUCCESS', 'FAILED'] })),
          events: Type.Optional(Type.Array(Type.Object({ type: Type.String({ enum: [...EVENT_TYPES, TEST_EVENT_TYPE] }), identifier: Type.Optional(Type.Union([Type.Null(), Type.String()])) }), { maxItems: MAX_EVENTS })),
          start_epoch_time_in_millis: Type.Optional(Type.Number({ minimum: 0 })),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const body = req.body as {
        job_ids?: string[]; channel_identifiers?: string[]; channel_status?: 'PENDING' | 'RETRY' | 'SUCCESS' | 'FAILED';
        events?: { type: string; identifier?: string | null }[]; start_epoch_time_in_millis?: number;
      };
      let webhookIds: string[] | undefined;
      if (body.channel_identifiers?.length) {
        webhookIds = [];
        for (const id of body.channel_identifiers) {
          const w = await ctx.store.findWebhook(p.org.id, id);
          if (w) webhookIds.push(w.id);
        }
        // Names that match nothing in this org match no jobs (rather than every job).
        if (!webhookIds.length) return { jobs: [] };
      }
      const query = {
        orgId: p.org.id,
        jobIds: body.job_ids,
        webhookIds,
        statuses: body.channel_status ? [body.channel_status] : undefined,
        since: body.start_epoch_time_in_millis,
        offset: 0,
        limit: HISTORY_LIMIT,
        order: 'DESC' as const,
      };
      const rows = body.events?.length ? await jobsOfEvents(ctx, query, body.events) : await ctx.store.listJobs(query);
      const events = new Map((await ctx.store.findEvents(p.org.id, [...new Set(rows.map((j) => j.eventId))])).map((e) => [e.id, e]));
      return { jobs: rows.map((j) => channelHistoryJob(j, events.get(j.eventId))) };
    },
  );

  app.post(
    '/api/rest/2.0/system/communication-channels/validate',
    {
      config: { access: 'viewDeliveries' },
      schema: {
        tags,
        body: Type.Object({
          channel_type: Type.String({ enum: ['WEBHOOK'] }),
          channel_identifier: Type.String(),
          event_type: Type.String({ enum: [LIVEBOARD_SCHEDULE] }),
        }),
      },
    },
    async (req) => {
      const p = principal(req);
      const body = req.body as { channel_identifier: string; event_type: string };
      const webhook = await ctx.store.findWebhook(p.org.id, body.channel_identifier);
      if (!webhook) throw notFound('webhook', body.channel_identifier, 'channel_identifier');
      const jobId = `n.validation-${newId()}`;
      const details = await validate(webhook, jobId, body.event_type);
      const failed = details.filter((d) => d.status === 'FAILED').length;
      return {
        channel_type: 'WEBHOOK',
        channel_id: webhook.id,
        channel_name: webhook.name,
        event_type: body.event_type,
        job_id: jobId,
        result_code: failed === 0 ? 'SUCCESS' : failed === details.length ? 'FAILED' : 'PARTIAL_SUCCESS',
        details,
      };
    },
  );
}
