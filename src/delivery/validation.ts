// Channel validation (seed 002): HTTP_CONNECTION_CHECK sends a signed validation request to the
// webhook now, and the check is recorded as a job (n.validation-<uuid>) with its one attempt.
import crypto from 'node:crypto';
import type { AppContext } from '../context.ts';
import type { JobRow, WebhookRow } from '../store/types.ts';
import { toTarget } from './runner.ts';
import type { Sender } from './sender.ts';

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
    const payload = JSON.stringify({ event: 'webhook.validation', timestamp: new Date(now).toISOString(), tenantId: String(webhook.orgId), data: { channelId: webhook.id, jobId } });
    const r = await sender.send(toTarget(ctx, webhook), { eventId: `${jobId}`, payload });
    const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;
    const error = ok ? null : (r.error ?? `HTTP ${r.statusCode}`);
    await ctx.store.completeAttempt(
      {
        id: crypto.randomUUID(), jobId, eventId, webhookId: webhook.id, orgId: webhook.orgId, attemptNo: 1, startedAt: r.startedAt,
        durationMs: r.durationMs, statusCode: r.statusCode, success: ok, error: r.error, responseBody: r.responseBody, requestHeaders: r.requestHeaders,
      },
      owner,
      { status: ok ? 'SUCCESS' : 'FAILED', nextAttemptAt: null, detail: ok ? '' : `HTTP_CONNECTION_CHECK: ${error}` },
    );
    return [{ validation_step: 'HTTP_CONNECTION_CHECK', status: ok ? 'SUCCESS' : 'FAILED', http_status: r.statusCode, error_message: error, aws_s3_info: null }];
  };
}
