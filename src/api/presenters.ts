// Rows to the response models of @thoughtspot/rest-api-sdk, field for field. Secrets leave the
// service only masked.
import { maskAuth, maskSig } from '../domain/webhook-secrets.ts';
import type { OrgRow, UserRow, WebhookRow } from '../store/types.ts';

export function webhookResponse(w: WebhookRow, org: Pick<OrgRow, 'id' | 'name'>) {
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    org: { id: String(org.id), name: org.name },
    url: w.url,
    url_params: w.urlParams,
    events: w.events,
    authentication: maskAuth(w.authentication),
    signature_verification: maskSig(w.signatureVerification),
    additional_headers: w.additionalHeaders,
    creation_time_in_millis: w.createdAt,
    modification_time_in_millis: w.modifiedAt,
    created_by: w.createdBy,
    last_modified_by: w.modifiedBy,
    storage_destination: w.storageDestination,
  };
}

export function orgResponse(o: OrgRow) {
  return { id: o.id, name: o.name, status: o.status, description: o.description, visibility: o.visibility };
}

export function userResponse(u: UserRow, orgs: OrgRow[], currentOrg?: OrgRow) {
  const mine = orgs.filter((o) => u.orgIds.includes(o.id));
  return {
    id: u.id,
    name: u.name,
    display_name: u.displayName,
    visibility: 'SHARABLE',
    email: u.email,
    account_type: 'LOCAL_USER',
    account_status: 'ACTIVE',
    creation_time_in_millis: u.createdAt,
    modification_time_in_millis: u.modifiedAt,
    can_change_password: true,
    privileges: u.privileges,
    orgs: mine.map((o) => ({ id: o.id, name: o.name })),
    ...(currentOrg ? { current_org: { id: currentOrg.id, name: currentOrg.name } } : {}),
  };
}
