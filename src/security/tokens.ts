// Bearer tokens are random and opaque; only their SHA-256 is stored, so a database dump does not
// hand out live sessions.
import crypto from 'node:crypto';

export function newToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}
