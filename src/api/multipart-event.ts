// A multipart publish read (POST /api/v1/events with files): the JSON part `event` and PDF, CSV or
// XLSX files up to the size limit, every part the parser skips refused (multipart-parts.ts), and
// the files held within a memory budget until their event is committed.
import path from 'node:path';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { ByteBudget } from '../delivery/byte-budget.ts';
import { newId } from '../domain/ids.ts';
import { FieldError } from '../domain/webhook-input.ts';
import type { NewAttachment } from '../store/types.ts';
import { ApiError, badRequest } from './errors.ts';
import { parseJsonBody, shallowEnough } from './json-body.ts';
import { boundaryOf, countParts } from './multipart-parts.ts';
import { refuseNul } from './no-nul.ts';

/** How long a multipart publish waits for memory to read its files before a 503. */
const READ_WAIT_MS = 30_000;

const FILE_TYPES: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.csv': 'text/csv',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export interface MultipartEvent {
  event: Record<string, unknown>;
  files: NewAttachment[];
}

/**
 * Multipart publishes hold their files in memory until the event is committed (twice while
 * read: the chunks, then the file made of them): 32 publishes of 24 MB at once took the process
 * to 1.9 GB (attachment fuzzing, 2026-12-07). They take turns within this budget, by their
 * Content-Length.
 */
export class MultipartReader {
  private readonly budget: ByteBudget;

  constructor(private readonly ctx: AppContext) {
    this.budget = new ByteBudget(ctx.config.attachmentMemoryBytes);
  }

  /** Reads the request's event and files and runs `use` (the publish) on them, within the budget. */
  async read<T>(req: FastifyRequest, reply: FastifyReply, use: (read: MultipartEvent) => Promise<T>): Promise<T> {
    const limit = this.ctx.config.delivery.maxAttachmentBytes + this.ctx.config.bodyLimitBytes;
    const bytes = 2 * Math.min(Number(req.headers['content-length']) || limit, limit);
    if (!(await this.budget.acquire(bytes, READ_WAIT_MS))) {
      reply.header('retry-after', '5');
      throw new ApiError(503, 'BUSY', 'body: the service is reading as many attachments as its memory allows (HOOKRELAY_ATTACHMENT_MEMORY_MB); send it again in a few seconds', 'body');
    }
    try {
      return await use(await readMultipart(this.ctx, req));
    } finally {
      this.budget.release(bytes);
    }
  }
}

/** Reads a multipart publish: the JSON part `event` and up to the size limit of PDF/CSV/XLSX files. */
async function readMultipart(ctx: AppContext, req: FastifyRequest): Promise<MultipartEvent> {
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

async function readParts(ctx: AppContext, req: FastifyRequest): Promise<MultipartEvent> {
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
