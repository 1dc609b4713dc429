// Channel validation (seed 002): HTTP_CONNECTION_CHECK sends a signed validation request to the
// webhook now, and the check is recorded as a job (n.validation-<uuid>) with its one attempt. With an
// S3 storage destination STORAGE_FILE_UPLOAD_CHECK runs first (seed 003): it uploads a dummy PDF the
// way deliveries upload attachments. The job is FAILED when either step failed, its detail naming the step.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import { storageCheck } from '../storage/destination.ts';
import type { JobRow, WebhookRow } from '../store/types.ts';
import { toTarget } from './runner.ts';
import type { Sender } from './sender.ts';
import { newId } from '../domain/ids.ts';

export interface ValidationDetail {
  validation_step: 'HTTP_CONNECTION_CHECK' | 'STORAGE_FILE_UPLOAD_CHECK';
  status: 'SUCCESS' | 'FAILED';
  http_status: number | null;
  error_message: string | null;
  aws_s3_info: null | { bucket_name: string | null; file_name: string | null; object_key: string | null };
}

export function createValidationCheck(ctx: AppContext, sender: Sender) {
  return async (webhook: WebhookRow, jobId: string, eventType: string): Promise<ValidationDetail[]> => {
    const now = Date.now();
    const eventId = `validation-${webhook.id}`;
    const owner = `validate-${crypto.randomUUID()}`;
    const job: JobRow = {
      id: jobId, kind: 'validation', eventId, eventType, webhookId: webhook.id, orgId: webhook.orgId, status: 'PENDING',
      tryCount: 0, budgetStart: 0, nextAttemptAt: now, leaseOwner: owner, leaseUntil: now + 60_000, detail: null, lastStatus: null,
      createdAt: now, updatedAt: now,
    };
    await ctx.store.insertJobs([job]);
    const details: ValidationDetail[] = [];
    const failures: string[] = [];
    if (webhook.storageDestination) {
      const c = await storageCheck(ctx, webhook, jobId, eventType, now);
      details.push({ validation_step: 'STORAGE_FILE_UPLOAD_CHECK', status: c.ok ? 'SUCCESS' : 'FAILED', http_status: null, error_message: c.error_message, aws_s3_info: c.aws_s3_info });
      if (c.failure) failures.push(c.failure);
    }
    const payload = JSON.stringify({ event: 'webhook.validation', timestamp: new Date(now).toISOString(), tenantId: String(webhook.orgId), data: { channelId: webhook.id, jobId } });
    const r = await sender.send(toTarget(ctx, webhook), { eventId: `${jobId}`, payload });
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    const error = ok ? null : (r.error ?? `HTTP ${r.statusCode}`);
    if (error) failures.push(`HTTP_CONNECTION_CHECK: ${error}`);
    await ctx.store.completeAttempt(
      {
        id: newId(), jobId, eventId, webhookId: webhook.id, orgId: webhook.orgId, attemptNo: 1, startedAt: r.startedAt,
        durationMs: r.durationMs, statusCode: r.statusCode, success: !failures.length, error: failures.join('; ') || r.error, responseBody: r.responseBody, requestHeaders: r.requestHeaders,
      },
      owner,
      { status: failures.length ? 'FAILED' : 'SUCCESS', nextAttemptAt: null, detail: failures.join('; ') },
    );
    details.push({ validation_step: 'HTTP_CONNECTION_CHECK', status: ok ? 'SUCCESS' : 'FAILED', http_status: r.statusCode, error_message: error, aws_s3_info: null });
    return details;
  };
}
