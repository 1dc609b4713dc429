// Semantic validation of webhook create/update input, beyond the JSON shape the route schema checks.
// Each failure names the field path the client sent, so a UI can show it next to the right control.
import { EVENT_TYPES } from './events.ts';
import { MASK } from './webhook-secrets.ts';

export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export interface WebhookInput {
  name?: string;
  description?: string;
  url?: string;
  url_params?: Record<string, unknown> | null;
  events?: string[];
  authentication?: Record<string, any> | null;
  signature_verification?: Record<string, any> | null;
  storage_destination?: Record<string, any> | null;
  additional_headers?: { key: string; value: string }[] | null;
}

const AUTH_TYPES = ['API_KEY', 'BASIC_AUTH', 'BEARER_TOKEN', 'OAUTH2'] as const;
// RFC 7230 token characters: a header name outside them is rejected by every HTTP stack anyway.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What a header value may not hold: anything but tab, visible ASCII, space and Latin-1. */
const HEADER_VALUE_BAD = /[^\t\x20-\x7e\x80-\xff]/;
// S3 bucket naming rules: 3-63 chars, lowercase letters, digits, dots, hyphens, no IP form.
const BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
// The HTTP client's own (keep-alive, upgrade and expect too: it refuses to send them, and a webhook
// with one failed every delivery; worse, each refusal left a pooled connection marked busy, fuzzing
// 2026-12-07).
const ALWAYS_RESERVED = ['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect'];
const STANDARD_WEBHOOK_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

function requireText(value: unknown, field: string, max = 2048): string {
  if (typeof value !== 'string' || value.trim() === '') throw new FieldError(field, 'must be a non-empty string');
  if (value.length > max) throw new FieldError(field, `must be at most ${max} characters`);
  wellFormed(value, field);
  return value;
}

/**
 * Text that UTF-8 can hold as given. A lone surrogate ("\ud800") is stored as U+FFFD, so three
 * such names were three webhooks that all read back as "�" (API fuzzing, 2026-12-07).
 */
export function wellFormed(value: string, field: string): void {
  if (/\p{Surrogate}/u.test(value)) throw new FieldError(field, 'must be well-formed Unicode (it holds a lone surrogate)');
}

/**
 * A name shown to people (a user's, its display name, an org's): no control characters and no
 * bidirectional overrides ("line\nbreak\u202egnp.exe" was taken as a user name; fuzzing).
 */
export function plainName(value: string, field: string): void {
  if (/[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]/.test(value)) throw new FieldError(field, 'must not hold control characters or bidirectional overrides');
}

/**
 * Webhooks and users are found by id or by name, the id first: a name of an id's form (a UUID)
 * would name whichever record has that id. A webhook named after another's id made updates of
 * that name change the other one; a user named so could never sign in (API fuzzing, 2026-12-07).
 */
export function notIdShaped(value: string, field: string): void {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value.trim())) {
    throw new FieldError(field, 'must not have the form of an id (a UUID): an identifier of that form is read as an id');
  }
}

/** A secret: non-empty, and not the mask placeholder (which only means "keep" on update). */
function requireSecret(value: unknown, field: string, max: number): string {
  const text = requireText(value, field, max);
  if (text === MASK) throw new FieldError(field, `"${MASK}" is the masked placeholder; send the secret itself`);
  return text;
}

function noNewlines(value: string, field: string): void {
  if (/[\r\n\0]/.test(value)) throw new FieldError(field, 'must not contain CR, LF or NUL characters');
}

/**
 * A value sent as an HTTP header: CR, LF and NUL refused as above, then only what a header value
 * may hold (tab, visible ASCII, space, Latin-1): other control characters or wider characters
 * were accepted and every delivery then failed in the HTTP client (API fuzzing, 2026-12-07).
 */
function headerValue(value: string, field: string): void {
  noNewlines(value, field);
  if (HEADER_VALUE_BAD.test(value)) throw new FieldError(field, 'must hold only tab, space, visible ASCII or Latin-1 characters (it is sent as an HTTP header)');
}

export function validateUrl(value: unknown, field = 'url'): string {
  const text = requireText(value, field, 2048);
  // The URL parser silently drops tabs and newlines and trims spaces; refuse them instead, so the
  // stored URL is exactly the one that is called.
  if (/[\x00-\x20\x7f]/.test(text)) throw new FieldError(field, 'must not contain spaces or control characters');
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new FieldError(field, 'must be an absolute http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new FieldError(field, 'must use http or https');
  if (parsed.username || parsed.password) throw new FieldError(field, 'must not embed credentials; use authentication');
  return text;
}

function validateEvents(events: unknown): string[] {
  if (!Array.isArray(events) || events.length === 0) throw new FieldError('events', 'must list at least one event type');
  events.forEach((e, i) => {
    if (!EVENT_TYPES.includes(e)) throw new FieldError(`events[${i}]`, `unknown event type "${String(e)}"; expected one of ${EVENT_TYPES.join(', ')}`);
  });
  return [...new Set(events as string[])];
}

function validateUrlParams(params: unknown): void {
  if (params === null || params === undefined) return;
  if (typeof params !== 'object' || Array.isArray(params)) throw new FieldError('url_params', 'must be an object of names to values');
  for (const [k, v] of Object.entries(params as object)) {
    if (k === '') throw new FieldError('url_params', 'parameter names must not be empty');
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw new FieldError(`url_params.${k}`, 'must be a string, number or boolean');
  }
}

function validateAuthentication(auth: Record<string, any>): void {
  const kinds = AUTH_TYPES.filter((k) => auth[k] !== undefined && auth[k] !== null);
  const unknown = Object.keys(auth).filter((k) => !(AUTH_TYPES as readonly string[]).includes(k));
  if (unknown.length) throw new FieldError(`authentication.${unknown[0]}`, `unknown authentication type; expected one of ${AUTH_TYPES.join(', ')}`);
  if (kinds.length !== 1) throw new FieldError('authentication', `must set exactly one of ${AUTH_TYPES.join(', ')}`);
  const kind = kinds[0];
  const v = auth[kind];
  const f = `authentication.${kind}`;
  switch (kind) {
    case 'API_KEY':
      requireText(v?.key, `${f}.key`, 256);
      if (!HEADER_NAME.test(v.key)) throw new FieldError(`${f}.key`, 'must be a valid HTTP header name');
      requireSecret(v?.value, `${f}.value`, 8192);
      headerValue(v.value, `${f}.value`);
      if ([...ALWAYS_RESERVED, ...STANDARD_WEBHOOK_HEADERS].includes(v.key.toLowerCase())) {
        throw new FieldError(`${f}.key`, `must not be the reserved header "${v.key}"`);
      }
      break;
    case 'BASIC_AUTH':
      requireText(v?.username, `${f}.username`, 256);
      if (v.username.includes(':')) throw new FieldError(`${f}.username`, 'must not contain ":"');
      noNewlines(v.username, `${f}.username`);
      requireSecret(v?.password, `${f}.password`, 1024);
      break;
    case 'BEARER_TOKEN':
      requireSecret(v, f, 8192);
      headerValue(v, f);
      break;
    case 'OAUTH2':
      validateUrl(v?.authorization_url, `${f}.authorization_url`);
      requireText(v?.client_id, `${f}.client_id`, 1024);
      requireSecret(v?.client_secret, `${f}.client_secret`, 4096);
      break;
  }
}

function validateSignature(sig: Record<string, any>): void {
  if (sig.type !== 'HMAC_SHA256') throw new FieldError('signature_verification.type', 'must be HMAC_SHA256');
  if (sig.algorithm !== 'SHA256') throw new FieldError('signature_verification.algorithm', 'must be SHA256');
  requireText(sig.header, 'signature_verification.header', 256);
  if (!HEADER_NAME.test(sig.header)) throw new FieldError('signature_verification.header', 'must be a valid HTTP header name');
  if ([...ALWAYS_RESERVED, 'authorization', ...STANDARD_WEBHOOK_HEADERS].includes(sig.header.toLowerCase())) {
    throw new FieldError('signature_verification.header', `must not be the reserved header "${sig.header}"`);
  }
  requireSecret(sig.secret, 'signature_verification.secret', 4096);
}

export function validateStorageDestination(dest: Record<string, any>): void {
  if (dest.storage_type !== 'AWS_S3') throw new FieldError('storage_destination.storage_type', 'must be AWS_S3');
  const c = dest.storage_config?.aws_s3_config;
  const f = 'storage_destination.storage_config.aws_s3_config';
  if (!c || typeof c !== 'object') throw new FieldError(f, 'is required for AWS_S3');
  requireText(c.bucket_name, `${f}.bucket_name`, 63);
  if (!BUCKET.test(c.bucket_name) || c.bucket_name.includes('..')) throw new FieldError(`${f}.bucket_name`, 'is not a valid S3 bucket name');
  requireText(c.region, `${f}.region`, 64);
  if (!REGION.test(c.region)) throw new FieldError(`${f}.region`, 'is not a valid AWS region such as us-east-1');
  requireText(c.role_arn, `${f}.role_arn`, 2048);
  if (!ROLE_ARN.test(c.role_arn)) throw new FieldError(`${f}.role_arn`, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/Name');
  if (c.external_id !== undefined && c.external_id !== null) {
    requireText(c.external_id, `${f}.external_id`, 1224);
    if (!/^[\w+=,.@:\/-]+$/.test(c.external_id)) throw new FieldError(`${f}.external_id`, 'contains characters STS does not accept');
  }
  if (c.path_prefix !== undefined && c.path_prefix !== null) {
    // In bytes: S3 keys hold at most 1,024 bytes of UTF-8, and the rest of a key takes up to ~300
    // (511 "é" were 1,022 bytes, and every upload failed with KeyTooLong; attachment fuzzing).
    if (typeof c.path_prefix !== 'string' || Buffer.byteLength(c.path_prefix) > 512) throw new FieldError(`${f}.path_prefix`, 'must be a string of at most 512 bytes in UTF-8');
    if (c.path_prefix.startsWith('/') || c.path_prefix.includes('..')) throw new FieldError(`${f}.path_prefix`, 'must be a relative key prefix without ".."');
  }
}

/**
 * The storage destination as the SDK's StorageDestinationInput defines it, without other keys: a
 * create stored whatever else its object held and answered it back in every search.
 */
export function normaliseStorageDestination(dest: Record<string, any> | null | undefined): Record<string, any> | null {
  if (!dest) return null;
  const c = dest.storage_config.aws_s3_config;
  const config: Record<string, unknown> = { bucket_name: c.bucket_name, region: c.region, role_arn: c.role_arn };
  if (c.external_id !== undefined) config.external_id = c.external_id;
  if (c.path_prefix !== undefined) config.path_prefix = c.path_prefix;
  return { storage_type: dest.storage_type, storage_config: { aws_s3_config: config } };
}

function validateHeaders(headers: unknown, auth: Record<string, any> | null | undefined, sig: Record<string, any> | null | undefined): void {
  if (headers === null || headers === undefined) return;
  if (!Array.isArray(headers)) throw new FieldError('additional_headers', 'must be an array of {key, value}');
  const reserved = new Set([...ALWAYS_RESERVED, ...STANDARD_WEBHOOK_HEADERS]);
  if (auth) reserved.add('authorization');
  if (auth?.API_KEY?.key) reserved.add(String(auth.API_KEY.key).toLowerCase());
  if (sig?.header) reserved.add(String(sig.header).toLowerCase());
  const seen = new Set<string>();
  headers.forEach((h, i) => {
    const f = `additional_headers[${i}]`;
    requireText(h?.key, `${f}.key`, 256);
    noNewlines(h.key, `${f}.key`);
    if (!HEADER_NAME.test(h.key)) throw new FieldError(`${f}.key`, 'must be a valid HTTP header name');
    if (typeof h.value !== 'string') throw new FieldError(`${f}.value`, 'must be a string');
    if (h.value.length > 8192) throw new FieldError(`${f}.value`, 'must be at most 8192 characters');
    headerValue(h.value, `${f}.value`);
    const lower = h.key.toLowerCase();
    if (reserved.has(lower)) throw new FieldError(`${f}.key`, `must not override the header "${h.key}"`);
    if (seen.has(lower)) throw new FieldError(`${f}.key`, `repeats the header "${h.key}"`);
    seen.add(lower);
  });
}

/**
 * Why the HTTP client would refuse to send this header, or null. Create and update refuse such
 * headers; the sender checks a stored webhook's headers again before its requests, so a row
 * written before a rule existed fails its attempts with this reason instead of being handed to
 * the client, whose every refusal left a pooled connection marked busy (fuzzing, 2026-12-07).
 */
export function unsendableHeader(name: string, value: string): string | null {
  if (!HEADER_NAME.test(name)) return `header name "${name}" is not a valid HTTP header name`;
  if (ALWAYS_RESERVED.includes(name.toLowerCase())) return `header "${name}" is the HTTP client's own`;
  if (HEADER_VALUE_BAD.test(value)) return `header "${name}" holds characters an HTTP header cannot`;
  return null;
}

/**
 * Header values are settings, shown as they are in every answer and in every attempt's record: a
 * credential there was in plain text (API fuzzing, 2026-12-07). Checked on the headers a request
 * sends, so that a webhook stored with one before still takes other updates.
 */
export function noCredentialHeaders(headers: unknown): void {
  if (!Array.isArray(headers)) return;
  headers.forEach((h, i) => {
    const key = typeof h?.key === 'string' ? h.key : '';
    if (CREDENTIAL_HEADERS.includes(key.toLowerCase())) {
      throw new FieldError(`additional_headers[${i}].key`, `"${key}" carries a credential: set it in authentication, where it is encrypted and masked (API_KEY with key "${key}" sends any value)`);
    }
  });
}

/**
 * Validates the effective webhook after applying `input` over `current` (for update), so that
 * cross-field rules (a header may not override the signature header) see the final state.
 */
/** The fields of each secret-bearing or nested object of a webhook request, by path. */
const NESTED_FIELDS: [path: string[], fields: string[]][] = [
  [['authentication', 'API_KEY'], ['key', 'value']],
  [['authentication', 'BASIC_AUTH'], ['username', 'password']],
  [['authentication', 'OAUTH2'], ['authorization_url', 'client_id', 'client_secret']],
  [['signature_verification'], ['type', 'header', 'algorithm', 'secret']],
  [['storage_destination'], ['storage_type', 'storage_config']],
  [['storage_destination', 'storage_config'], ['aws_s3_config']],
  [['storage_destination', 'storage_config', 'aws_s3_config'], ['bucket_name', 'region', 'role_arn', 'external_id', 'path_prefix']],
];

/**
 * Refuses a misspelt field in the nested objects of a create or update as sent (the stored
 * webhook is not checked: what older releases stored stays updatable). A `secrett` was dropped
 * without a word, and the webhook kept its old or no secret (operator audit, 2026-12-08).
 */
export function noUnknownFields(body: Record<string, unknown>): void {
  for (const [path, fields] of NESTED_FIELDS) {
    let v: unknown = body;
    for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    if (!v || typeof v !== 'object' || Array.isArray(v)) continue;
    const unknown = Object.keys(v).find((k) => !fields.includes(k));
    if (unknown !== undefined) throw new FieldError(`${path.join('.')}.${unknown}`, `is not a field of ${path.join('.')} (misspelt?); its fields are ${fields.join(', ')}`);
  }
}

export function validateWebhook(merged: WebhookInput): void {
  const name = requireText(merged.name, 'name', 255);
  noNewlines(name, 'name');
  notIdShaped(name, 'name');
  if (merged.description !== undefined && merged.description !== null && typeof merged.description !== 'string') {
    throw new FieldError('description', 'must be a string');
  }
  validateUrl(merged.url);
  validateUrlParams(merged.url_params);
  validateEvents(merged.events);
  if (merged.authentication) validateAuthentication(merged.authentication);
  if (merged.signature_verification) validateSignature(merged.signature_verification);
  if (merged.storage_destination) validateStorageDestination(merged.storage_destination);
  // One header each: with the same name, the API key replaced the signature when sent.
  const keyHeader = merged.authentication?.API_KEY?.key;
  const sigHeader = merged.signature_verification?.header;
  if (typeof keyHeader === 'string' && typeof sigHeader === 'string' && keyHeader.toLowerCase() === sigHeader.toLowerCase()) {
    throw new FieldError('signature_verification.header', `must not be the API key's header "${keyHeader}"`);
  }
  validateHeaders(merged.additional_headers, merged.authentication, merged.signature_verification);
}

export function normaliseEvents(events: string[]): string[] {
  return [...new Set(events)];
}
