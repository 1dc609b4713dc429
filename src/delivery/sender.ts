// Builds and sends one delivery attempt: URL params, authentication, custom headers, signatures,
// JSON or multipart body. Knows HTTP, not the database; returns what happened, never throws.
import crypto from 'node:crypto';
import type { NewAttachment } from '../store/types.ts';
import { MASK } from '../domain/webhook-secrets.ts';
import { HttpClient } from './http-client.ts';
import { OAuthTokens } from './oauth.ts';
import { hexSignature, standardSignature, standardWebhookKey } from './signing.ts';
import { BlockedAddressError, type AllowRule } from './ssrf-guard.ts';
import { unsendableHeader } from '../domain/webhook-input.ts';

/** A webhook with its secrets opened, as the sender needs it. */
export interface Target {
  id: string;
  url: string;
  urlParams: Record<string, unknown> | null;
  authentication: Record<string, any> | null;
  signature: { header: string; secret: string } | null;
  additionalHeaders: { key: string; value: string }[] | null;
}

export interface Outgoing {
  /** Stable across retries: receivers deduplicate on it (webhook-id). */
  eventId: string;
  /** The JSON body: text, or its UTF-8 bytes as a SQLite claim reads them. */
  payload: string | Buffer;
  attachments?: NewAttachment[];
}

export interface SendResult {
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  retryAfter: string | null;
  requestHeaders: Record<string, string>;
  /** Set when retrying cannot help (the webhook was deleted): the job fails at once. */
  permanent?: boolean;
  /** Set when nothing was sent for want of memory (attachments): no attempt is recorded, and the lease is handed back. */
  notSent?: boolean;
}

export interface SenderOptions {
  timeoutMs: number;
  allow: AllowRule;
  userAgent: string;
  maxResponseBodyBytes: number;
}

function targetUrl(t: Target): URL {
  const url = new URL(t.url);
  for (const [k, v] of Object.entries(t.urlParams ?? {})) url.searchParams.append(k, String(v));
  return url;
}

/** What every request to a target shares: its URL with params, its Standard Webhooks key. */
interface Prepared {
  /** The target URL, or why it is not one (reported as the attempt's error). */
  url: URL | Error;
  standardKey: Buffer | null;
}

/** multipart/form-data built by hand so the signed bytes are exactly the bytes sent. */
function multipart(eventId: string, json: Buffer, files: NewAttachment[]): { body: Buffer; contentType: string } {
  const boundary = `hookrelay-${crypto.createHash('sha256').update(eventId).digest('hex').slice(0, 32)}`;
  const parts: Buffer[] = [];
  const quote = (s: string) => s.replace(/["\\\r\n]/g, '_');
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="event"\r\nContent-Type: application/json\r\n\r\n`));
  parts.push(json);
  for (const f of files) {
    parts.push(Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quote(f.fileName)}"\r\nContent-Type: ${f.contentType}\r\n\r\n`));
    parts.push(f.data);
  }
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Why a target's stored headers cannot be sent (see unsendableHeader), or null. */
function unsendable(t: Target): string | null {
  const fixed: [string, string][] = (t.additionalHeaders ?? []).map((h) => [h.key, h.value]);
  const auth = t.authentication;
  if (auth?.API_KEY) fixed.push([String(auth.API_KEY.key), String(auth.API_KEY.value)]);
  if (typeof auth?.BEARER_TOKEN === 'string') fixed.push(['authorization', auth.BEARER_TOKEN]);
  for (const [name, value] of fixed) {
    const why = unsendableHeader(name, value);
    if (why) return why;
  }
  return null;
}

export class Sender {
  readonly http: HttpClient;
  private readonly oauth: OAuthTokens;
  /**
   * Per target object (the runner keeps one per webhook for a second): parsing the URL and
   * decoding the key once per burst instead of once per request. Never mutated after creation.
   */
  private readonly prepared = new WeakMap<Target, Prepared>();

  private prepare(t: Target): Prepared {
    let p = this.prepared.get(t);
    if (!p) {
      let url: URL | Error;
      try {
        url = targetUrl(t);
      } catch (err) {
        url = err as Error;
      }
      const refused = unsendable(t);
      if (refused) url = Object.assign(new Error(refused), { code: 'EHOOKRELAY_HEADER' });
      p = { url, standardKey: t.signature ? standardWebhookKey(t.signature.secret) : null };
      this.prepared.set(t, p);
    }
    return p;
  }

  constructor(private readonly opts: SenderOptions) {
    this.http = new HttpClient(opts.allow, opts.maxResponseBodyBytes);
    this.oauth = new OAuthTokens(this.http, opts.timeoutMs);
  }

  async send(t: Target, out: Outgoing): Promise<SendResult> {
    const startedAt = Date.now();
    const deadlineAt = startedAt + this.opts.timeoutMs;
    const json = typeof out.payload === 'string' ? Buffer.from(out.payload) : out.payload;
    const { body, contentType } = out.attachments?.length ? multipart(out.eventId, json, out.attachments) : { body: json, contentType: 'application/json' };
    const ts = Math.floor(startedAt / 1000);
    const headers: Record<string, string> = {};
    // The one header holding a credential (API key or authorization), masked in the record.
    let masked: string | null = null;
    for (const h of t.additionalHeaders ?? []) headers[h.key] = h.value;
    headers['content-type'] = contentType;
    headers['user-agent'] = this.opts.userAgent;
    headers['webhook-id'] = out.eventId;
    headers['webhook-timestamp'] = String(ts);
    let prepared: Prepared | null = null;
    if (t.signature) {
      prepared = this.prepare(t);
      headers[t.signature.header] = hexSignature(t.signature.secret, body);
      headers['webhook-signature'] = standardSignature(prepared.standardKey!, out.eventId, ts, body);
    }
    const result = (statusCode: number | null, error: string | null, responseBody: string | null = null, retryAfter: string | null = null): SendResult => {
      // The headers sent are recorded as they are unless one must be masked: they are not
      // changed after the last request, and a copy per delivery was garbage for nothing.
      const requestHeaders = masked === null ? headers : { ...headers, [masked]: MASK };
      // A receiver that echoes the request (a debug endpoint, "invalid key: ...") would put the
      // credential into the recorded body, which webhook users read (security audit, 2026-12-08).
      if (masked !== null && responseBody) responseBody = maskCredential(responseBody, headers[masked], t.authentication?.BASIC_AUTH?.password);
      return { startedAt, durationMs: Date.now() - startedAt, statusCode, error, responseBody, retryAfter, requestHeaders };
    };
    try {
      const auth = t.authentication;
      if (auth?.API_KEY) {
        headers[auth.API_KEY.key] = auth.API_KEY.value;
        masked = auth.API_KEY.key;
      } else if (auth?.BASIC_AUTH) {
        headers.authorization = 'Basic ' + Buffer.from(`${auth.BASIC_AUTH.username}:${auth.BASIC_AUTH.password}`).toString('base64');
        masked = 'authorization';
      } else if (typeof auth?.BEARER_TOKEN === 'string') {
        // Seed 001's example stores "Bearer {token}"; accept both that and the bare token.
        headers.authorization = /^bearer\s/i.test(auth.BEARER_TOKEN) ? auth.BEARER_TOKEN : `Bearer ${auth.BEARER_TOKEN}`;
        masked = 'authorization';
      } else if (auth?.OAUTH2) {
        headers.authorization = `Bearer ${await this.oauth.get(auth.OAUTH2)}`;
        masked = 'authorization';
      }
      const url = (prepared ?? this.prepare(t)).url;
      // A stored URL or header that cannot be sent fails the same way on every try: the job
      // fails at once, to be replayed once the webhook is fixed (it went through every retry of
      // the schedule; upgrade testing, 2026-12-07).
      if (url instanceof Error) return { ...result(null, describeError(url, this.opts.timeoutMs)), permanent: true };
      let res = await this.http.post(url, headers, body, deadlineAt);
      if (res.statusCode === 401 && auth?.OAUTH2) {
        // The cached token may have been revoked early: fetch a new one, once.
        this.oauth.invalidate(auth.OAUTH2);
        headers.authorization = `Bearer ${await this.oauth.get(auth.OAUTH2)}`;
        res = await this.http.post(url, headers, body, deadlineAt);
      }
      return result(res.statusCode, null, res.body, res.retryAfter);
    } catch (err) {
      const r = result(null, describeError(err, this.opts.timeoutMs));
      // A credential that cannot be a header value: the same on every try too.
      return (err as { code?: string })?.code === 'EHOOKRELAY_HEADER' ? { ...r, permanent: true } : r;
    }
  }

  /** Aborts requests still running (abandoned at shutdown after the grace period) and closes the client. */
  async destroy(): Promise<void> {
    await this.http.destroy();
  }
}

/**
 * `body` with the credential sent replaced by MASK: the header's value, the token after its
 * scheme ("Bearer x", "Basic x"), a basic password, each also as JSON and URL encoding write it.
 */
export function maskCredential(body: string, headerValue: string, password?: unknown): string {
  const plain = [headerValue, headerValue.replace(/^(bearer|basic)\s+/i, '')];
  if (typeof password === 'string' && password) plain.push(password);
  const forms = new Set<string>();
  for (const p of plain) {
    if (!p) continue;
    forms.add(p);
    forms.add(JSON.stringify(p).slice(1, -1));
    forms.add(encodeURIComponent(p));
  }
  // Longest first: a form inside another is masked with it.
  for (const f of [...forms].sort((a, b) => b.length - a.length)) if (body.includes(f)) body = body.split(f).join(MASK);
  return body;
}

export function describeError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err instanceof BlockedAddressError || e?.code === 'EHOOKRELAY_BLOCKED') return `refused: ${e.message}`;
  if (e?.cause instanceof BlockedAddressError) return `refused: ${e.cause.message}`;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT') {
    return `timeout: no complete response within ${timeoutMs} ms`;
  }
  if (e?.code === 'EHOOKRELAY_OAUTH') return `authentication failed: ${e.message}`;
  if (e?.code === 'EHOOKRELAY_HEADER') return `refused: ${e.message}`;
  const code = e?.code ?? e?.cause?.code;
  return `network error${code ? ` ${code}` : ''}: ${e?.message ?? String(err)}`;
}
