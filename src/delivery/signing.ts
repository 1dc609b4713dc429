// Request signatures. Two schemes are sent together when a webhook has signature_verification:
// - the configured header: `sha256=<hex HMAC-SHA256 of the raw body>` keyed by the secret string,
//   which seed 004's recipe verifies;
// - Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature `v1,<base64>` over
//   `<id>.<timestamp>.<body>`), which the `standardwebhooks` package verifies. A `whsec_` secret
//   is base64-decoded for this scheme, as that package does; any other secret is used as its
//   UTF-8 bytes (so receivers using such a secret pass `Buffer.from(secret)` to the verifier).
import crypto from 'node:crypto';

export function hexSignature(secret: string, body: Buffer | string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
}

export function standardWebhookKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** `key` may be the secret or its standardWebhookKey(), which callers sending many requests keep. */
export function standardSignature(key: string | Buffer, id: string, timestampSec: number, body: Buffer | string): string {
  const mac = crypto.createHmac('sha256', typeof key === 'string' ? standardWebhookKey(key) : key);
  mac.update(`${id}.${timestampSec}.`);
  mac.update(body);
  return 'v1,' + mac.digest('base64');
}

/** Constant-time comparison of two signatures, for our own verification of inbound checks. */
export function signaturesEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
