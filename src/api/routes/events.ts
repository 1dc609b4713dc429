// POST /api/v1/events (JSON or multipart with attachments) and /api/v1/events/batch. Answers 202
// only after the event and its jobs are committed; GET /api/v1/events/{id}/jobs shows their state.
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import type { AppContext } from '../../context.ts';
import { checkEventInput, publishEvents, type EventInput } from '../../events/publish.ts';
import type { NewAttachment } from '../../store/types.ts';
import { principal, targetOrg } from '../auth.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { parseJsonBody, shallowEnough } from '../json-body.ts';
import { refuseNul } from '../no-nul.ts';
import { boundaryOf, countParts } from '../multipart-parts.ts';
import { jobView } from '../views.ts';
import { FieldError } from '../../domain/webhook-input.ts';
import { newId } from '../../domain/ids.ts';
import { ByteBudget } from '../../delivery/byte-budget.ts';

const tags = ['Events'];
/** How long a multipart publish waits for memory to read its files before a 503. */
const READ_WAIT_MS = 30_000;
const MAX_BATCH = 1000;

const FILE_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.csv': 'text/csv',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const EventBody = Type.Object({
  type: Type.String(),
  org_identifier: Type.Optional(Type.String()),
  data: Type.Object({}, { additionalProperties: true }),
  idempotency_key: Type.Optional(Type.String()),
});

/** Reads a multipart publish: the JSON part `event` and up to the size limit of PDF/CSV/XLSX files. */
async function readMultipart(ctx: AppContext, req: FastifyRequest): Promise<{ event: Record<string, unknown>; files: NewAttachment[] }> {
  try {
    return await readParts(ctx, req);
  } catch (err) {
    // The parser's own complaints (no boundary, a body cut short, a bad part header) are the
    // request's fault: a 400, not the 500 they were (API fuzzing, 2026-12-07).
    const code = (err as { code?: string }).code;
    // A part declared application/json that does not parse (or not in the charset it names):
    // the plugin's answer was a 406 naming no field.
    if (code === 'FST_INVALID_JSON_FIELD_ERROR') throw new ApiError(400, 'MALFORMED_JSON', 'body: a form field declared application/json is not valid JSON (in UTF-8)', 'body');
    if (err instanceof ApiError || err instanceof FieldError || code?.startsWith('FST_')) throw err;
    throw new ApiError(400, 'MALFORMED_MULTIPART', `body: not a complete multipart/form-data body (${(err as Error).message})`, 'body');
  }
}

async function readParts(ctx: AppContext, req: FastifyRequest): Promise<{ event: Record<string, unknown>; files: NewAttachment[] }> {
  let event: Record<string, unknown> | undefined;
  const files: NewAttachment[] = [];
  let total = 0;
  const limit = ctx.config.delivery.maxAttachmentBytes;
  const boundary = boundaryOf(req.headers['content-type']);
  // Started in the same tick as the parser's pipe (the loop's first step): see countParts.
  const counted = boundary === undefined ? undefined : countParts(req.raw, boundary);
  let seen = 0;
  try {
    for await (const part of req.parts()) {
      seen++;
      if (part.type === 'field') {
        // Any other field was ignored: a file sent without a filename among them.
        if (part.fieldname !== 'event') throw badRequest(part.fieldname || 'body', 'is not a field of a publish: it takes one field "event" and files, each with a filename');
        // Cut at the body limit by the parser, it failed as JSON ("Unterminated string at 1048576").
        if (part.valueTruncated) throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `event: larger than ${ctx.config.bodyLimitBytes} bytes (HOOKRELAY_BODY_LIMIT_BYTES)`, 'event');
        // Two events in one request: the first was dropped without a word.
        if (event !== undefined) throw badRequest('event', 'is given twice: a multipart publish carries one event (POST /api/v1/events/batch takes many)');
        // A part declared application/json comes parsed (by the same secure-json-parse); it was
        // read as the text "[object Object]" and refused.
        if (typeof part.value === 'string') event = parseJsonBody(part.value, 'event') as Record<string, unknown>;
        else {
          refuseNul(part.value, 'event');
          event = shallowEnough(part.value, 'event') as Record<string, unknown>;
        }
        continue;
      }
      files.push(await readFile(part, files.length, total, limit));
      total += files[files.length - 1].size;
    }
  } finally {
    counted?.stop();
  }
  if (counted && counted.parts() > seen) {
    throw badRequest('body', `has ${counted.parts()} parts and ${counted.parts() - seen} of them could not be read: each part needs "Content-Disposition: form-data" with a name, and a name or filename without line breaks`);
  }
  if (!event) throw badRequest('event', 'is required: a form field named "event" holding the event JSON');
  return { event, files };
}

/** One attachment of a multipart publish, read whole if the publish's files stay within `limit` bytes (`before` read already). */
async function readFile(part: MultipartFile, index: number, before: number, limit: number): Promise<NewAttachment> {
  const tooLarge = () => new ApiError(413, 'PAYLOAD_TOO_LARGE', `files: attachments exceed ${limit} bytes in all`, 'files');
  // Sent on in the delivery's Content-Disposition and shown in the history: control characters
  // (a NUL was a 500 on PostgreSQL) and bidirectional overrides ("invoice\u202Efdp.csv" reads as
  // a .pdf) are refused.
  if (/[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]/.test(part.filename ?? '')) {
    part.file.resume();
    throw badRequest(`files[${index}].filename`, 'must not hold control characters or bidirectional overrides');
  }
  const ext = path.extname(part.filename || '').toLowerCase();
  const contentType = FILE_TYPES[ext];
  if (!contentType) {
    part.file.resume();
    throw badRequest(`files.${part.filename || part.fieldname}`, 'must be a .pdf, .csv or .xlsx file');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file) {
    size += (chunk as Buffer).length;
    if (before + size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  if (part.file.truncated) throw tooLarge();
  return { id: newId(), fileName: path.basename(part.filename), contentType, size, data: Buffer.concat(chunks) };
}

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
  // Multipart publishes hold their files in memory until the event is committed (twice while
  // read: the chunks, then the file made of them): 32 publishes of 24 MB at once took the process
  // to 1.9 GB (attachment fuzzing, 2026-12-07). They take turns within this budget, by their
  // Content-Length.
  const reading = new ByteBudget(ctx.config.attachmentMemoryBytes);
  const withMemory = async <T>(req: FastifyRequest, reply: FastifyReply, read: () => Promise<T>): Promise<T> => {
    const limit = ctx.config.delivery.maxAttachmentBytes + ctx.config.bodyLimitBytes;
    const bytes = 2 * Math.min(Number(req.headers['content-length']) || limit, limit);
    if (!(await reading.acquire(bytes, READ_WAIT_MS))) {
      reply.header('retry-after', '5');
      throw new ApiError(503, 'BUSY', `body: the service is reading as many attachments as its memory allows (HOOKRELAY_ATTACHMENT_MEMORY_MB); send it again in a few seconds`, 'body');
    }
    try {
      return await read();
    } finally {
      reading.release(bytes);
    }
  };

  app.post('/api/v1/events', { config: { access }, schema: { tags, consumes: ['application/json', 'multipart/form-data'], body: Type.Optional(Type.Any()) } }, async (req, reply) => {
    const publish = async (raw: Record<string, unknown>, files: NewAttachment[]) => {
      const input = checkEventInput(raw);
      const org = await targetOrg(ctx, req, orgIdentifierOf(raw?.org_identifier));
      const [result] = await publishEvents(ctx, org.id, [input], files);
      return reply.status(202).send({ id: result.eventId, duplicate: !result.created, jobs: result.jobs });
    };
    if (!req.isMultipart()) return publish(req.body as Record<string, unknown>, []);
    // The files are held until their event is committed (then they are the store's).
    return withMemory(req, reply, async () => {
      const { event, files } = await readMultipart(ctx, req);
      return publish(event, files);
    });
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
