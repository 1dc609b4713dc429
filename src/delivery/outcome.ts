// Every attempt's result is classified here, in one place:
//   2xx                      success
//   410 Gone                 gone: the receiver says the endpoint is retired; no retry
//   429, 503 (+Retry-After)  throttled: retry, no sooner than the receiver asked
//   408, 425, 5xx, 3xx       retryable (redirects are not followed: a moved endpoint must be re-registered)
//   other 4xx                permanent: the request itself is refused; retrying sends the same bytes
//   network error, timeout   retryable
export type OutcomeKind = 'success' | 'retryable' | 'throttled' | 'permanent' | 'gone';

export interface Outcome {
  kind: OutcomeKind;
  /** Delay the receiver asked for (Retry-After), in ms. */
  retryAfterMs?: number;
}

export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function classify(statusCode: number | null, retryAfter?: string | null): Outcome {
  if (statusCode === null) return { kind: 'retryable' };
  if (statusCode >= 200 && statusCode < 300) return { kind: 'success' };
  if (statusCode === 410) return { kind: 'gone' };
  if (statusCode === 429 || statusCode === 503) return { kind: 'throttled', retryAfterMs: parseRetryAfter(retryAfter) };
  if (statusCode === 408 || statusCode === 425 || statusCode >= 500 || (statusCode >= 300 && statusCode < 400)) return { kind: 'retryable' };
  return { kind: 'permanent' };
}
