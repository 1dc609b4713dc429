// /api/rest/2.0/webhooks/*: create, search, update, delete (seed 001), shaped as the SDK's models.
import crypto from 'node:crypto';
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { EVENT_TYPES } from '../../domain/events.ts';
import { noCredentialHeaders, noUnknownFields, normaliseStorageDestination, validateWebhook, type WebhookInput } from '../../domain/webhook-input.ts';
import { keepMaskedAuth, keepMaskedSig, keepsStoredCredential, MASK, openAuth, openSig, sealAuth, sealSig } from '../../domain/webhook-secrets.ts';
import type { WebhookRow } from '../../store/types.ts';
import { principal, targetOrg } from '../auth.ts';
import { badRequest } from '../errors.ts';
import { writeIfUnchanged } from '../write-if-unchanged.ts';
import { page } from '../pagination.ts';
import { webhookResponse } from '../presenters.ts';

const KeyValue = Type.Object({ key: Type.String(), value: Type.String() });
// Null first: with type coercion on, ajv would otherwise turn null into "" for a string branch.
const Nullable = <T extends TSchema>(t: T) => Type.Union([Type.Null(), t]);

const WebhookFields = {
  name: Type.String({ description: 'Unique within the org' }),
  description: Nullable(Type.String()),
  url: Type.String({ description: 'Absolute http or https URL' }),
  url_params: Nullable(Type.Object({}, { additionalProperties: true })),
  events: Type.Array(Type.String({ enum: [...EVENT_TYPES] as string[] })),
  authentication: Nullable(Type.Object({}, { additionalProperties: true, description: 'Exactly one of API_KEY, BASIC_AUTH, BEARER_TOKEN, OAUTH2' })),
  signature_verification: Nullable(Type.Object({}, { additionalProperties: true })),
  storage_destination: Nullable(Type.Object({}, { additionalProperties: true })),
  additional_headers: Nullable(Type.Array(KeyValue)),
};

const CreateBody = Type.Object(
  { ...WebhookFields, description: Type.Optional(WebhookFields.description), url_params: Type.Optional(WebhookFields.url_params),
    authentication: Type.Optional(WebhookFields.authentication), signature_verification: Type.Optional(WebhookFields.signature_verification),
    storage_destination: Type.Optional(WebhookFields.storage_destination), additional_headers: Type.Optional(WebhookFields.additional_headers) },
);
const UpdateBody = Type.Partial(Type.Object(WebhookFields));
const SearchBody = Type.Object({
  org_identifier: Type.Optional(Type.String()),
  webhook_identifier: Type.Optional(Type.String()),
  event_type: Type.Optional(Type.String({ enum: [...EVENT_TYPES] as string[] })),
  record_offset: Type.Optional(Type.Integer()),
  record_size: Type.Optional(Type.Integer()),
  sort_options: Type.Optional(
    Type.Object({
      field_name: Type.Optional(Nullable(Type.String({ enum: ['CREATED', 'MODIFIED', 'NAME'] }))),
      order: Type.Optional(Nullable(Type.String({ enum: ['ASC', 'DESC'] }))),
    }),
  ),
});
const DeleteBody = Type.Object({ webhook_identifiers: Type.Array(Type.String(), { minItems: 1 }) });
const IdParam = Type.Object({ webhook_identifier: Type.String() });

const OPTIONAL_KEYS = ['description', 'url_params', 'authentication', 'signature_verification', 'storage_destination', 'additional_headers'] as const;

/** The stored row as the input it was made from, secrets opened: the base an update applies to. */
function rowToInput(ctx: AppContext, w: WebhookRow): WebhookInput {
  return {
    name: w.name,
    description: w.description ?? undefined,
    url: w.url,
    url_params: w.urlParams,
    events: w.events,
    authentication: openAuth(w.authentication, ctx.box),
    signature_verification: openSig(w.signatureVerification, ctx.box),
    storage_destination: w.storageDestination,
    additional_headers: w.additionalHeaders,
  };
}

function sealInto(ctx: AppContext, input: WebhookInput, base: Omit<WebhookRow, 'name' | 'description' | 'url' | 'urlParams' | 'events' | 'authentication' | 'signatureVerification' | 'storageDestination' | 'additionalHeaders'>): WebhookRow {
  return {
    ...base,
    name: input.name!.trim(),
    description: input.description ?? null,
    url: input.url!,
    urlParams: (input.url_params as Record<string, unknown>) ?? null,
    events: [...new Set(input.events!)],
    authentication: sealAuth(input.authentication, ctx.box),
    signatureVerification: sealSig(input.signature_verification, ctx.box),
    storageDestination: normaliseStorageDestination(input.storage_destination),
    additionalHeaders: input.additional_headers?.length ? input.additional_headers : null,
  };
}

/**
 * A stored credential goes only where it went: a new URL origin, or a new OAuth2 token URL, needs
 * the credential sent again ("******", or authentication left out, keeps it for the same one).
 * A webhook manager, who never reads credentials back, could otherwise point the webhook at a
 * server of its own and receive them with the next delivery (API fuzzing, 2026-12-07).
 */
function credentialsStayWithTheirDestination(body: Record<string, unknown>, base: WebhookInput, merged: WebhookInput): void {
  const stored = (base.authentication ?? null) as Record<string, any> | null;
  if (!keepsStoredCredential(body.authentication, stored)) return;
  const origin = (url: string | undefined) => (url ? new URL(url).origin : null);
  if (origin(merged.url) !== origin(base.url)) {
    throw badRequest('authentication', `send the credentials again to move the webhook to ${origin(merged.url)}: "${MASK}" (or leaving authentication out) keeps them for ${origin(base.url)} only`);
  }
  const tokenUrl = (a: unknown) => (a as Record<string, any> | null | undefined)?.OAUTH2?.authorization_url ?? null;
  if (stored?.OAUTH2 && tokenUrl(merged.authentication) !== tokenUrl(stored)) {
    throw badRequest('authentication.OAUTH2.client_secret', `send the client secret again to change authorization_url: "${MASK}" keeps it for ${tokenUrl(stored)} only`);
  }
}

export function webhookRoutes(app: FastifyInstance, ctx: AppContext) {
  const access = 'manageWebhooks' as const;
  const tags = ['Webhooks'];

  app.post('/api/rest/2.0/webhooks/create', { config: { access }, schema: { tags, body: CreateBody } }, async (req) => {
    const p = principal(req);
    const input = req.body as WebhookInput;
    noUnknownFields(input as Record<string, unknown>);
    validateWebhook(input);
    noCredentialHeaders(input.additional_headers);
    const now = Date.now();
    const by = { id: p.user.id, name: p.user.name };
    const row = sealInto(ctx, input, { id: crypto.randomUUID(), orgId: p.org.id, createdAt: now, modifiedAt: now, createdBy: by, modifiedBy: null });
    await ctx.store.insertWebhook(row);
    return webhookResponse(row, p.org);
  });

  app.post('/api/rest/2.0/webhooks/search', { config: { access }, schema: { tags, body: Type.Optional(SearchBody) } }, async (req) => {
    const body = (req.body ?? {}) as {
      org_identifier?: string; webhook_identifier?: string; event_type?: string; record_offset?: number; record_size?: number;
      sort_options?: { field_name?: 'CREATED' | 'MODIFIED' | 'NAME' | null; order?: 'ASC' | 'DESC' | null };
    };
    const org = await targetOrg(ctx, req, body.org_identifier);
    const { offset, limit } = page(body.record_offset, body.record_size);
    const { rows, total } = await ctx.store.searchWebhooks({
      orgId: org.id,
      identifier: body.webhook_identifier || undefined,
      eventType: body.event_type,
      sortField: body.sort_options?.field_name ?? 'CREATED',
      sortOrder: body.sort_options?.order ?? 'ASC',
      offset,
      limit,
    });
    return {
      webhooks: rows.map((w) => webhookResponse(w, org)),
      pagination: { record_offset: offset, record_size: body.record_size ?? limit, total_count: total, has_more: offset + rows.length < total },
    };
  });

  app.post('/api/rest/2.0/webhooks/:webhook_identifier/update', { config: { access }, schema: { tags, params: IdParam, body: UpdateBody } }, async (req, reply) => {
    const p = principal(req);
    const { webhook_identifier } = req.params as { webhook_identifier: string };
    const body = (req.body ?? {}) as WebhookInput & Record<string, unknown>;
    noUnknownFields(body);
    noCredentialHeaders(body.additional_headers);
    // Read, apply the body's fields, write if nothing changed the row meanwhile, else again.
    await writeIfUnchanged({ kind: 'webhook', identifier: webhook_identifier, field: 'webhook_identifier' }, () => ctx.store.findWebhook(p.org.id, webhook_identifier), (current) => {
      const base = rowToInput(ctx, current);
      // Only the fields present in the body change; an explicit null clears an optional field.
      const merged: WebhookInput = { ...base };
      for (const [k, v] of Object.entries(body)) {
        if (v === undefined) continue;
        if (v === null && !(OPTIONAL_KEYS as readonly string[]).includes(k)) throw badRequest(k, 'must not be null');
        (merged as Record<string, unknown>)[k] = v;
      }
      merged.authentication = keepMaskedAuth(merged.authentication, base.authentication ?? null);
      merged.signature_verification = keepMaskedSig(merged.signature_verification, base.signature_verification ?? null);
      validateWebhook(merged);
      credentialsStayWithTheirDestination(body, base, merged);
      const row = sealInto(ctx, merged, {
        id: current.id, orgId: current.orgId, createdAt: current.createdAt, createdBy: current.createdBy,
        // Later than the row read, even within its millisecond: the next writer's check must see a change.
        modifiedAt: Math.max(Date.now(), current.modifiedAt + 1), modifiedBy: { id: p.user.id, name: p.user.name },
      });
      return ctx.store.updateWebhook(row, current.modifiedAt);
    });
    return reply.status(204).send();
  });

  app.post('/api/rest/2.0/webhooks/delete', { config: { access }, schema: { tags, body: DeleteBody } }, async (req) => {
    const p = principal(req);
    const { webhook_identifiers } = req.body as { webhook_identifiers: string[] };
    const deleted: ReturnType<typeof webhookResponse>[] = [];
    const failed: { id: string; name: string; error: string }[] = [];
    for (const identifier of webhook_identifiers) {
      const w = await ctx.store.findWebhook(p.org.id, identifier);
      if (w && (await ctx.store.deleteWebhook(p.org.id, w.id))) deleted.push(webhookResponse(w, p.org));
      else failed.push({ id: w?.id ?? identifier, name: w?.name ?? identifier, error: `webhook "${identifier}" not found` });
    }
    return { deleted_count: deleted.length, failed_count: failed.length, deleted_webhooks: deleted, failed_webhooks: failed };
  });
}
