// The Register/Edit Webhook form's state, and its translation to and from the API's webhook body.
import type { Webhook } from './types.ts';

export const MASK = '******';
export const DEFAULT_SIGNATURE_HEADER = 'X-Webhook-Signature';
export type AuthType = '' | 'API_KEY' | 'BASIC_AUTH' | 'BEARER_TOKEN' | 'OAUTH2';

export const AUTH_TYPES: { id: AuthType; label: string }[] = [
  { id: '', label: 'None' },
  { id: 'API_KEY', label: 'API key header' },
  { id: 'BASIC_AUTH', label: 'Basic authentication' },
  { id: 'BEARER_TOKEN', label: 'Bearer token' },
  { id: 'OAUTH2', label: 'OAuth 2.0 client credentials' },
];

export interface HeaderRow {
  uid: number;
  key: string;
  value: string;
}

export interface FormState {
  name: string;
  description: string;
  url: string;
  events: string[];
  /** The signing secret; MASK means "keep the stored one". */
  secret: string;
  signatureHeader: string;
  authType: AuthType;
  auth: Record<string, string>;
  headers: HeaderRow[];
}

let uid = 0;
export const newHeaderRow = (key = '', value = ''): HeaderRow => ({ uid: ++uid, key, value });

export function emptyForm(): FormState {
  return { name: '', description: '', url: '', events: [], secret: '', signatureHeader: DEFAULT_SIGNATURE_HEADER, authType: '', auth: {}, headers: [] };
}

export function fromWebhook(w: Webhook): FormState {
  const a = w.authentication ?? {};
  let authType: AuthType = '';
  let auth: Record<string, string> = {};
  if (a.API_KEY) [authType, auth] = ['API_KEY', { key: a.API_KEY.key ?? '', value: a.API_KEY.value ?? '' }];
  else if (a.BASIC_AUTH) [authType, auth] = ['BASIC_AUTH', { username: a.BASIC_AUTH.username ?? '', password: a.BASIC_AUTH.password ?? '' }];
  else if (typeof a.BEARER_TOKEN === 'string') [authType, auth] = ['BEARER_TOKEN', { token: a.BEARER_TOKEN }];
  else if (a.OAUTH2) {
    [authType, auth] = ['OAUTH2', { authorization_url: a.OAUTH2.authorization_url ?? '', client_id: a.OAUTH2.client_id ?? '', client_secret: a.OAUTH2.client_secret ?? '' }];
  }
  return {
    name: w.name,
    description: w.description ?? '',
    url: w.url,
    events: [...w.events],
    secret: w.signature_verification ? w.signature_verification.secret : '',
    signatureHeader: w.signature_verification?.header ?? DEFAULT_SIGNATURE_HEADER,
    authType,
    auth,
    headers: (w.additional_headers ?? []).map((h) => newHeaderRow(h.key, h.value)),
  };
}

function authBody(f: FormState): Record<string, unknown> | null {
  const v = (k: string) => f.auth[k] ?? '';
  switch (f.authType) {
    case 'API_KEY':
      return { API_KEY: { key: v('key'), value: v('value') } };
    case 'BASIC_AUTH':
      return { BASIC_AUTH: { username: v('username'), password: v('password') } };
    case 'BEARER_TOKEN':
      return { BEARER_TOKEN: v('token') };
    case 'OAUTH2':
      return { OAUTH2: { authorization_url: v('authorization_url'), client_id: v('client_id'), client_secret: v('client_secret') } };
    default:
      return null;
  }
}

/** The request body, and for each sent header index the form row it came from. */
export function toBody(f: FormState): { body: Record<string, unknown>; headerRows: number[] } {
  const rows = f.headers.filter((h) => h.key.trim() !== '' || h.value !== '');
  return {
    body: {
      name: f.name,
      description: f.description.trim() === '' ? null : f.description,
      url: f.url.trim(),
      events: f.events,
      authentication: authBody(f),
      signature_verification: f.secret === '' ? null : { type: 'HMAC_SHA256', algorithm: 'SHA256', header: f.signatureHeader, secret: f.secret },
      additional_headers: rows.map((h) => ({ key: h.key.trim(), value: h.value })),
    },
    headerRows: rows.map((h) => h.uid),
  };
}

/** `whsec_` + base64 of 24 random bytes, the Standard Webhooks secret format. */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return 'whsec_' + btoa(String.fromCharCode(...bytes));
}

/** DOM id of the control for an API field path: `authentication.API_KEY.value` -> `f-authentication-API_KEY-value`. */
export const fieldId = (path: string) => 'f-' + path.replace(/[^A-Za-z0-9_]+/g, '-').replace(/-+$/, '');

/**
 * Where an API error's field belongs in the form: the exact control if there is one, else the
 * nearest enclosing one (`events[2]` -> `events`, `authentication.OAUTH2` -> `authentication`).
 * Header rows are renamed from the sent index to the row's stable id.
 */
export function placeError(field: string | undefined, known: Set<string>, headerRows: number[]): string | null {
  if (!field) return null;
  let f = field.replace(/^additional_headers\[(\d+)\]/, (m, i) => (headerRows[Number(i)] !== undefined ? `headers.${headerRows[Number(i)]}` : m));
  while (f) {
    if (known.has(f)) return f;
    const cut = Math.max(f.lastIndexOf('.'), f.lastIndexOf('['));
    if (cut <= 0) break;
    f = f.slice(0, cut);
  }
  return known.has(f) ? f : null;
}

/** "url: must be an absolute http or https URL" -> "Must be an absolute http or https URL". */
export function problemOf(message: string, field?: string): string {
  const text = field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}
