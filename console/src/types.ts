// Response shapes of the service's API as the console uses them.

export interface SessionUser {
  id: string;
  name: string;
  display_name: string;
  privileges: string[];
  orgs: { id: number; name: string }[];
  current_org?: { id: number; name: string };
}

export interface Session {
  user: SessionUser;
  orgs: { id: number; name: string }[];
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface Webhook {
  id: string;
  name: string;
  description: string | null;
  org: { id: string; name: string };
  url: string;
  events: string[];
  authentication: Record<string, any> | null;
  signature_verification: { type: string; header: string; algorithm: string; secret: string } | null;
  additional_headers: KeyValue[] | null;
  creation_time_in_millis: number;
  modification_time_in_millis: number;
  last_delivery?: { success: boolean; status_code: number | null; error: string | null; timestamp: string } | null;
}

export interface Attempt {
  id: string;
  job_id: string;
  event_id: string;
  attempt: number;
  timestamp: string;
  response_time_ms: number;
  status_code: number | null;
  success: boolean;
  error: string | null;
  response_body: string | null;
  request_headers: Record<string, string> | null;
}

export interface Job {
  id: string;
  kind: string;
  status: 'PENDING' | 'RETRY' | 'IN_PROGRESS' | 'SUCCESS' | 'FAILED' | string;
  event_id: string;
  event_type: string;
  event_name: string | null;
  webhook_id: string | null;
  /** The DLQ's rows name their webhook; null once it is deleted. */
  webhook_name?: string | null;
  try_count: number;
  detail: string | null;
  last_status_code: number | null;
  created_at: string;
  updated_at: string;
  last_error?: string | null;
}

export interface Pagination {
  offset: number;
  limit: number;
  total: number;
  /** false: counting stopped at `total` (a webhook's attempts are counted up to a cap). */
  total_exact?: boolean;
  has_more: boolean;
}

export interface ChannelPref {
  event_type: string;
  channels: string[];
}

export const EVENT_TYPES = [
  { id: 'ingestion.completed', when: 'A data ingestion job finishes' },
  { id: 'ingestion.failed', when: 'A data ingestion job fails' },
  { id: 'kpi.computed', when: 'A KPI value is computed' },
  { id: 'kpi.alert', when: 'A KPI anomaly is detected' },
  { id: 'analysis.completed', when: 'An investigation finishes' },
  { id: 'dashboard.ready', when: 'A dashboard build completes' },
  { id: 'LIVEBOARD_SCHEDULE', when: 'A scheduled Liveboard runs (one webhook per org)' },
];

export const CHANNELS = ['WEBHOOK', 'EMAIL'] as const;
export const PREFERENCE_EVENT_TYPES = ['LIVEBOARD_SCHEDULE'];

const has = (u: SessionUser, list: string[]) => u.privileges.some((p) => list.includes(p));
export const can = {
  manageWebhooks: (u: SessionUser) => has(u, ['ADMINISTRATION', 'DEVELOPER', 'CAN_MANAGE_WEBHOOKS']),
  viewDeliveries: (u: SessionUser) => has(u, ['ADMINISTRATION', 'DEVELOPER', 'CAN_MANAGE_WEBHOOKS', 'APPLICATION_ADMINISTRATION']),
  manageChannels: (u: SessionUser) => has(u, ['ADMINISTRATION', 'APPLICATION_ADMINISTRATION']),
  administer: (u: SessionUser) => has(u, ['ADMINISTRATION']),
};
