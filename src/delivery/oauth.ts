// OAuth2 client-credentials tokens for webhooks with OAUTH2 authentication, cached per
// (token URL, client id) until shortly before they expire.
import { CredentialCache } from '../security/credential-cache.ts';
import type { HttpClient } from './http-client.ts';

export class OAuthError extends Error {
  readonly code = 'EHOOKRELAY_OAUTH';
}

export class OAuthTokens {
  private readonly cache = new CredentialCache<string>();

  constructor(private readonly http: HttpClient, private readonly timeoutMs: number) {}

  private key(c: { authorization_url: string; client_id: string }) {
    return `${c.authorization_url}\n${c.client_id}`;
  }

  invalidate(c: { authorization_url: string; client_id: string }): void {
    this.cache.invalidate(this.key(c));
  }

  /** Concurrent deliveries to one endpoint share a single token request. */
  get(c: { authorization_url: string; client_id: string; client_secret: string }): Promise<string> {
    return this.cache.get(this.key(c), () => this.fetch(c));
  }

  private async fetch(c: { authorization_url: string; client_id: string; client_secret: string }): Promise<{ value: string; refreshAt: number }> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.client_id, client_secret: c.client_secret });
    const res = await this.http.post(new URL(c.authorization_url), { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, form.toString(), Date.now() + this.timeoutMs);
    if (res.statusCode < 200 || res.statusCode >= 300) throw new OAuthError(`OAuth2 token request to ${c.authorization_url} answered HTTP ${res.statusCode}`);
    let body: { access_token?: string; expires_in?: number };
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new OAuthError(`OAuth2 token response from ${c.authorization_url} is not JSON`);
    }
    if (!body.access_token) throw new OAuthError(`OAuth2 token response from ${c.authorization_url} has no access_token`);
    const ttlMs = (Number(body.expires_in) || 3600) * 1000;
    // Refresh 30 s early (or halfway for very short tokens) so a token never expires in flight.
    return { value: body.access_token, refreshAt: Date.now() + Math.max(ttlMs - 30_000, ttlMs / 2) };
  }
}
