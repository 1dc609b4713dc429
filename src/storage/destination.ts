// A webhook's S3 storage destination in delivery and validation (seed 003):
//  - delivery: every attachment is uploaded first; only then is the webhook called, with the event's
//    JSON payload carrying where each file is (no multipart). A failed upload fails the attempt,
//    which is retried like any other failure, with the step, the bucket and the AWS error as detail;
//  - validation: STORAGE_FILE_UPLOAD_CHECK uploads validation_dummy_<yyyymmdd_hhmmss>.pdf.
import type { AppContext } from '../context.ts';
import type { Outgoing, SendResult } from '../delivery/sender.ts';
import { LIVEBOARD_SCHEDULE } from '../domain/events.ts';
import type { ClaimedEvent, EventRow, NewAttachment, WebhookRow } from '../store/types.ts';
import { CredentialBroker, StorageError } from './s3-credentials.ts';
import { destinationOf, distinctKeys, objectKey, objectUrls, S3Uploader, type S3Destination, type StoredFile } from './s3-upload.ts';

export const STORAGE_STEP = 'STORAGE_FILE_UPLOAD_CHECK';

/** One uploader (and so one credential cache) per running service, shared by worker and API. */
const uploaders = new WeakMap<AppContext, S3Uploader>();

export function storageFor(ctx: AppContext): S3Uploader {
  let u = uploaders.get(ctx);
  if (!u) {
    u = new S3Uploader(ctx.config.storage, new CredentialBroker(ctx.config.storage));
    uploaders.set(ctx, u);
  }
  return u;
}

/** Closes the service's S3 and STS clients (their pooled connections), if any were made. */
export function closeStorage(ctx: AppContext): void {
  uploaders.get(ctx)?.close();
  uploaders.delete(ctx);
}

function reason(err: unknown): string {
  return err instanceof StorageError ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
}

/** The job detail of a failed storage step, as seed 002 shows it. */
export function stepFailure(dest: Pick<S3Destination, 'bucket'>, why: string): string {
  return `${STORAGE_STEP} (bucket: ${dest.bucket}): ${why}`;
}

/** The payload with the files' locations: `data.files` for LIVEBOARD_SCHEDULE, top-level `attachments` otherwise. */
export function withLocations(eventType: string, payload: string, files: StoredFile[]): string {
  const body = JSON.parse(payload);
  if (eventType === LIVEBOARD_SCHEDULE) body.data = { ...(body.data ?? {}), files };
  else body.attachments = files;
  return JSON.stringify(body);
}

/**
 * Stores the event's attachments in the webhook's bucket, then sends the payload with their
 * locations. Without a storage destination (or without attachments) it only sends.
 */
export async function deliverWithStorage(
  ctx: AppContext,
  webhook: WebhookRow,
  event: EventRow | ClaimedEvent,
  attachments: NewAttachment[] | undefined,
  send: (out: Outgoing) => Promise<SendResult>,
): Promise<SendResult> {
  const dest = destinationOf(webhook);
  if (!dest || !attachments?.length) return send({ eventId: event.id, payload: event.payload, attachments });
  const startedAt = Date.now();
  const uploader = storageFor(ctx);
  const signal = AbortSignal.timeout(ctx.config.storage.uploadTimeoutMs);
  const files: StoredFile[] = [];
  // The same keys on every attempt: a retry overwrites each object with the same bytes.
  const keys = distinctKeys(attachments.map((a) => objectKey(dest, event.orgId, event.type, event.createdAt, event.id, a.fileName)));
  try {
    for (const [i, a] of attachments.entries()) {
      const key = keys[i];
      await uploader.put(dest, key, a.data, a.size, a.contentType, signal);
      files.push({ fileName: a.fileName, contentType: a.contentType, size: a.size, storageType: 'AWS_S3', bucket: dest.bucket, region: dest.region, key, ...objectUrls(ctx.config.storage, dest, key) });
    }
  } catch (err) {
    // The deadline of all the uploads ran out: say which setting it is (the SDK said "Request aborted").
    const error = stepFailure(dest, signal.aborted ? `the storage step (credentials from STS, then the uploads) did not finish within HOOKRELAY_S3_UPLOAD_TIMEOUT_MS (${ctx.config.storage.uploadTimeoutMs} ms)` : reason(err));
    ctx.log.info({ webhookId: webhook.id, eventId: event.id, bucket: dest.bucket, error }, 'storage upload failed');
    return { startedAt, durationMs: Date.now() - startedAt, statusCode: null, error, responseBody: null, retryAfter: null, requestHeaders: {} };
  }
  const r = await send({ eventId: event.id, payload: withLocations(event.type, event.payload.toString(), files) });
  // The attempt's time is its storage step's and its request's: the history showed the request's alone.
  return { ...r, startedAt, durationMs: r.startedAt + r.durationMs - startedAt };
}

/** A one-page PDF, small and valid, so that a viewer opens the validation file. */
export function dummyPdf(title: string): Buffer {
  const text = title.replace(/[()\\]/g, '');
  const stream = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export interface StorageCheck {
  ok: boolean;
  /** The job's detail line when it failed. */
  failure: string | null;
  error_message: string | null;
  aws_s3_info: { bucket_name: string | null; file_name: string | null; object_key: string | null };
}

/** STORAGE_FILE_UPLOAD_CHECK: uploads validation_dummy_<yyyymmdd_hhmmss>.pdf with the delivery path's credentials and key scheme. */
export async function storageCheck(ctx: AppContext, webhook: WebhookRow, jobId: string, eventType: string, now: number): Promise<StorageCheck> {
  const dest = destinationOf(webhook);
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  const fileName = `validation_dummy_${stamp}.pdf`;
  if (!dest) {
    const error = 'storage_destination is incomplete: bucket_name, region and role_arn are required';
    return { ok: false, failure: `${STORAGE_STEP}: ${error}`, error_message: error, aws_s3_info: { bucket_name: null, file_name: fileName, object_key: null } };
  }
  const key = objectKey(dest, webhook.orgId, eventType, now, jobId, fileName);
  const info = { bucket_name: dest.bucket, file_name: fileName, object_key: key };
  const pdf = dummyPdf(`HookRelay validation ${jobId}`);
  try {
    await storageFor(ctx).put(dest, key, pdf, pdf.length, 'application/pdf', AbortSignal.timeout(ctx.config.storage.uploadTimeoutMs));
    return { ok: true, failure: null, error_message: null, aws_s3_info: info };
  } catch (err) {
    const why = reason(err);
    return { ok: false, failure: stepFailure(dest, why), error_message: why, aws_s3_info: info };
  }
}
