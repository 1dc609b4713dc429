// The event types HookRelay delivers. LIVEBOARD_SCHEDULE is ThoughtSpot's; the dotted names are the
// product events of the Webhooks page (seed 004). They differ in two rules: at most one webhook per
// org subscribes to LIVEBOARD_SCHEDULE, and only LIVEBOARD_SCHEDULE is gated by channel preferences.
export const LIVEBOARD_SCHEDULE = 'LIVEBOARD_SCHEDULE';

export const PRODUCT_EVENT_TYPES = [
  'ingestion.completed',
  'ingestion.failed',
  'kpi.computed',
  'kpi.alert',
  'analysis.completed',
  'dashboard.ready',
] as const;

export const EVENT_TYPES: readonly string[] = [LIVEBOARD_SCHEDULE, ...PRODUCT_EVENT_TYPES];

/** Event types that communication-channel preferences apply to. */
export const PREFERENCE_EVENT_TYPES: readonly string[] = [LIVEBOARD_SCHEDULE];

export const CHANNELS = ['EMAIL', 'WEBHOOK'] as const;
export type Channel = (typeof CHANNELS)[number];

export function isEventType(value: unknown): value is string {
  return typeof value === 'string' && EVENT_TYPES.includes(value);
}
