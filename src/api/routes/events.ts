// POST /api/v1/events (JSON or multipart with attachments) and /api/v1/events/batch. Answers 202
// only after the event and its jobs are committed; GET /api/v1/events/{id}/jobs shows their state.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { checkEventInput, publishEvents, type EventInput } from '../../events/publish.ts';
import type { NewAttachment } from '../../store/types.ts';
import { principal, targetOrg } from '../auth.ts';
import { badRequest, notFound } from '../errors.ts';
import { MultipartReader } from '../multipart-event.ts';
import { jobView } from '../views.ts';

const tags = ['Events'];
const MAX_BATCH = 1000;

const EventBody = Type.Object({
  type: Type.String(),
  org_identifier: Type.Optional(Type.String()),
  data: Type.Object({}, { additionalProperties: true }),
  idempotency_key: Type.Optional(Type.String()),
});

/**
 * A single publish's org_identifier (its body is checked here, not by a schema): a string, an
 * org id as a number, or absent; anything else was ignored and the event went to the caller's
 * own org (API fuzzing, 2026-12-07).
 */
function orgIdentifierOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  throw badRequest('org_identifier', 'must be an org id or name');
}

export function eventRoutes(app: FastifyInstance, ctx: AppContext) {
  const access = 'manageWebhooks' as const;
  const multipart = new MultipartReader(ctx);

  app.post('/api/v1/events', { config: { access }, schema: { tags, consumes: ['application/json', 'multipart/form-data'], body: Type.Optional(Type.Any()) } }, async (req, reply) => {
    const publish = async (raw: Record<string, unknown>, files: NewAttachment[]) => {
      const input = checkEventInput(raw);
      const org = await targetOrg(ctx, req, orgIdentifierOf(raw?.org_identifier));
      const [result] = await publishEvents(ctx, org.id, [input], files);
      return reply.status(202).send({ id: result.eventId, duplicate: !result.created, jobs: result.jobs });
    };
    if (!req.isMultipart()) return publish(req.body as Record<string, unknown>, []);
    // The files are held until their event is committed (then they are the store's).
    return multipart.read(req, reply, ({ event, files }) => publish(event, files));
  });

  app.post(
    '/api/v1/events/batch',
    { config: { access }, schema: { tags, body: Type.Object({ org_identifier: Type.Optional(Type.String()), events: Type.Array(EventBody, { minItems: 1, maxItems: MAX_BATCH }) }) } },
    async (req, reply) => {
      const body = req.body as { org_identifier?: string; events: Record<string, unknown>[] };
      const org = await targetOrg(ctx, req, body.org_identifier);
      const inputs: EventInput[] = body.events.map((e, i) => {
        if (e.org_identifier !== undefined && e.org_identifier !== body.org_identifier) {
          throw badRequest(`events[${i}].org_identifier`, 'a batch goes to one org: set org_identifier on the batch');
        }
        return checkEventInput(e, `events[${i}]`);
      });
      const results = await publishEvents(ctx, org.id, inputs);
      return reply.status(202).send({ ids: results.map((r) => r.eventId) });
    },
  );

  app.get('/api/v1/events/:event_id/jobs', { config: { access }, schema: { tags, params: Type.Object({ event_id: Type.String() }) } }, async (req) => {
    const p = principal(req);
    const { event_id } = req.params as { event_id: string };
    const event = await ctx.store.findEvent(p.org.id, event_id);
    if (!event) throw notFound('event', event_id, 'event_id');
    const rows = await ctx.store.listJobs({ orgId: p.org.id, eventIds: [event.id], offset: 0, limit: 1000, order: 'ASC' });
    return { event_id: event.id, type: event.type, created_at: new Date(event.createdAt).toISOString(), jobs: rows.map((j) => jobView(j, event)) };
  });
}
