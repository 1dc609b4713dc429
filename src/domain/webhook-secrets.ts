// Which webhook fields are secrets, and the three views of them: sealed (at rest), masked (in every
// response and log line) and open (only for building an outbound request).
import type { SecretBox } from '../security/secret-box.ts';

export const MASK = '******';

type Obj = Record<string, any>;
type Transform = (value: string) => string;

function mapAuth(auth: Obj | null | undefined, f: Transform): Obj | null {
  if (!auth) return null;
  const out: Obj = {};
  if (auth.API_KEY) out.API_KEY = { key: auth.API_KEY.key, value: f(auth.API_KEY.value) };
  if (auth.BASIC_AUTH) out.BASIC_AUTH = { username: auth.BASIC_AUTH.username, password: f(auth.BASIC_AUTH.password) };
  if (typeof auth.BEARER_TOKEN === 'string') out.BEARER_TOKEN = f(auth.BEARER_TOKEN);
  if (auth.OAUTH2) {
    out.OAUTH2 = { authorization_url: auth.OAUTH2.authorization_url, client_id: auth.OAUTH2.client_id, client_secret: f(auth.OAUTH2.client_secret) };
  }
  return out;
}

function mapSig(sig: Obj | null | undefined, f: Transform): Obj | null {
  if (!sig) return null;
  return { type: sig.type, header: sig.header, algorithm: sig.algorithm, secret: f(sig.secret) };
}

export const sealAuth = (auth: Obj | null | undefined, box: SecretBox) => mapAuth(auth, (v) => box.encrypt(v));
export const openAuth = (auth: Obj | null | undefined, box: SecretBox) => mapAuth(auth, (v) => box.decrypt(v));
export const maskAuth = (auth: Obj | null | undefined) => mapAuth(auth, () => MASK);
export const sealSig = (sig: Obj | null | undefined, box: SecretBox) => mapSig(sig, (v) => box.encrypt(v));
export const openSig = (sig: Obj | null | undefined, box: SecretBox) => mapSig(sig, (v) => box.decrypt(v));
export const maskSig = (sig: Obj | null | undefined) => mapSig(sig, () => MASK);

/**
 * An update that echoes the masked value back (a form that showed "******") keeps the stored
 * secret instead of setting the password to six asterisks.
 */
export function keepMaskedAuth(next: Obj | null | undefined, current: Obj | null): Obj | null | undefined {
  if (!isObject(next) || !current) return next;
  const keep = (v: unknown, old: unknown) => (v === MASK && typeof old === 'string' ? old : v);
  const out: Obj = structuredClone(next);
  // Only where both are objects: a bare value (`"API_KEY": "x"`) is left for validation to refuse
  // (it was a 500 here, API fuzzing 2026-12-07).
  if (isObject(out.API_KEY) && current.API_KEY) out.API_KEY.value = keep(out.API_KEY.value, current.API_KEY.value);
  if (isObject(out.BASIC_AUTH) && current.BASIC_AUTH) out.BASIC_AUTH.password = keep(out.BASIC_AUTH.password, current.BASIC_AUTH.password);
  if (out.BEARER_TOKEN !== undefined && current.BEARER_TOKEN) out.BEARER_TOKEN = keep(out.BEARER_TOKEN, current.BEARER_TOKEN);
  if (isObject(out.OAUTH2) && current.OAUTH2) out.OAUTH2.client_secret = keep(out.OAUTH2.client_secret, current.OAUTH2.client_secret);
  return out;
}

const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Whether an update keeps a stored credential without sending it: authentication left out, or a
 * secret given as the mask. (`next` is the update's authentication as sent, `current` the stored one.)
 */
export function keepsStoredCredential(next: unknown, current: Obj | null): boolean {
  if (!current) return false;
  if (next === undefined) return true;
  // mapAuth visits exactly the secret fields: a masked one is a stored secret kept.
  let masked = false;
  if (isObject(next)) mapAuth(next, (v) => ((masked ||= v === MASK), v));
  return masked;
}

export function keepMaskedSig(next: Obj | null | undefined, current: Obj | null): Obj | null | undefined {
  if (!isObject(next) || !current || next.secret !== MASK) return next;
  return { ...next, secret: current.secret };
}
