// ThoughtSpot's delivery monitoring (seed 002): job history search and channel validation.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { createValidationCheck } from '../../delivery/validation.ts';
import { LIVEBOARD_SCHEDULE } from '../../domain/events.ts';
import { principal } from '../auth.ts';
import { notFound } from '../errors.ts';
import { channelHistoryJob } from '../views.ts';
import { newId } from '../../domain/ids.ts';

const tags = ['Communication channels'];

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
          events: Type.Optional(Type.Array(Type.Object({ type: Type.String(), identifier: Type.Optional(Type.Union([Type.Null(), Type.String()])) }), { maxItems: MAX_EVENTS })),
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
      const eventTypes = body.events && [...new Set(body.events.map((e) => e.type))];
      const eventIds = body.events?.map((e) => e.identifier).filter((x): x is string => !!x);
      const rows = await ctx.store.listJobs({
        orgId: p.org.id,
        jobIds: body.job_ids,
        webhookIds,
        statuses: body.channel_status ? [body.channel_status] : undefined,
        eventTypes,
        eventIds: eventIds?.length ? eventIds : undefined,
        since: body.start_epoch_time_in_millis,
        offset: 0,
        limit: 1000,
        order: 'DESC',
      });
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
