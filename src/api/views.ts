// Response shapes of the delivery API: ThoughtSpot's ChannelHistoryJob and HookRelay's native views.
import type { AttemptRow, EventRow, JobRow } from '../store/types.ts';

export function channelHistoryJob(j: JobRow, e: EventRow | undefined) {
  const validation = j.kind === 'validation';
  return {
    id: j.id,
    status: j.status,
    creation_time_in_millis: j.createdAt,
    event: { type: j.eventType, id: j.eventId, name: validation ? null : (e?.name ?? null), run_id: validation ? null : (e?.runId ?? null) },
    recipients: e?.recipients ?? null,
    detail: j.detail ?? '',
    try_count: j.tryCount,
  };
}

export function jobView(j: JobRow, e?: EventRow) {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    event_id: j.eventId,
    event_type: j.eventType,
    event_name: e?.name ?? null,
    webhook_id: j.webhookId,
    try_count: j.tryCount,
    detail: j.detail,
    last_status_code: j.lastStatus,
    next_attempt_at: j.status === 'PENDING' || j.status === 'RETRY' ? new Date(j.nextAttemptAt).toISOString() : null,
    created_at: new Date(j.createdAt).toISOString(),
    updated_at: new Date(j.updatedAt).toISOString(),
  };
}

export function attemptView(a: AttemptRow) {
  return {
    id: a.id,
    job_id: a.jobId,
    event_id: a.eventId,
    attempt: a.attemptNo,
    timestamp: new Date(a.startedAt).toISOString(),
    response_time_ms: a.durationMs,
    status_code: a.statusCode,
    success: a.success,
    error: a.error,
    response_body: a.responseBody,
    request_headers: a.requestHeaders,
  };
}
