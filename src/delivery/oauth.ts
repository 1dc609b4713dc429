// OAuth2 client-credentials tokens for webhooks with OAUTH2 authentication, cached per
// credential (token URL, client id and client secret) until shortly before they expire.
import crypto from 'node:crypto';
import { CredentialCache } from '../security/credential-cache.ts';
import type { HttpClient } from './http-client.ts';

export class OAuthError extends Error {
  readonly code = 'EHOOKRELAY_OAUTH';
}

export class OAuthTokens {
  private readonly cache = new CredentialCache<string>();

  constructor(private readonly http: HttpClient, private readonly timeoutMs: number) {}

  /**
   * The secret is part of the key: keyed by token URL and client id only, a webhook of any org
   * naming another's (both shown to webhook managers) with any secret was sent the other's
   * token, and a rotated secret kept the old one (fuzzing, 2026-12-07). Hashed, not kept as text.
   */
  private key(c: { authorization_url: string; client_id: string; client_secret: string }) {
    return crypto.createHash('sha256').update(`${c.authorization_url}\n${c.client_id}\n${c.client_secret}`).digest('base64');
  }

  invalidate(c: { authorization_url: string; client_id: string; client_secret: string }): void {
    this.cache.invalidate(this.key(c));
  }

  /** Concurrent deliveries with one credential share a single token request. */
  get(c: { authorization_url: string; client_id: string; client_secret: string }): Promise<string> {
    return this.cache.get(this.key(c), () => this.fetch(c));
  }

  private async fetch(c: { authorization_url: string; client_id: string; client_secret: string }): Promise<{ value: string; refreshAt: number }> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });
    const res = await this.http.post(new URL(c.authorization_url), { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, form.toString(), Date.now() + this.timeoutMs);
    if (res.statusCode < 200 || res.statusCode >= 300) throw new OAuthError(`OAuth2 token request to ${c.authorization_url} answered HTTP ${res.statusCode}`);
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new OAuthError(`OAuth2 token response from ${c.authorization_url} is not JSON`);
    }
    // Sent as `Bearer <token>`: only visible ASCII can go in that header. Anything else (a
    // number, an object, CR/LF, "€") was sent as "[object Object]" or refused by the HTTP client
    // at every attempt while it stayed cached.
    if (typeof body?.access_token !== 'string' || !/^[\x21-\x7e]+$/.test(body.access_token)) {
      throw new OAuthError(`OAuth2 token response from ${c.authorization_url} has no usable access_token (a string of visible ASCII characters)`);
    }
    // expires_in in seconds; left out, an hour. 0 was taken for "left out" and cached an hour.
    const seconds = body.expires_in === undefined || body.expires_in === null ? 3600 : Number(body.expires_in);
    if (!Number.isFinite(seconds) || seconds < 0) throw new OAuthError(`OAuth2 token response from ${c.authorization_url} has an expires_in that is not a number of seconds`);
    const ttlMs = seconds * 1000;
    // Refresh 30 s early (or halfway for very short tokens) so a token never expires in flight.
    return { value: body.access_token, refreshAt: Date.now() + Math.max(ttlMs - 30_000, ttlMs / 2) };
  }
}
