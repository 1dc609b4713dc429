// The JSON a receiver gets. Built once at publish and stored, so every retry and every resend
// carries the same bytes and the same ids.
//  - LIVEBOARD_SCHEDULE: ThoughtSpot's Liveboard payload (REFERENCE.md); the producer gives
//    metadataObject, scheduleDetails and recipients, the service fills in the rest.
//  - product events (seed 004) and webhook.test: { event, timestamp, tenantId, data }.
import crypto from 'node:crypto';
import { LIVEBOARD_SCHEDULE } from '../domain/events.ts';

export interface EnvelopeContext {
  eventId: string;
  orgId: number;
  createdAt: number;
  applicationUrl: string;
  instanceId: string;
  /** The one Liveboard webhook of the org, when there is one. */
  channelId: string | null;
}

export function buildEnvelope(type: string, data: Record<string, any>, c: EnvelopeContext): string {
  const timestamp = new Date(c.createdAt).toISOString();
  if (type !== LIVEBOARD_SCHEDULE) {
    return JSON.stringify({ event: type, timestamp, tenantId: String(c.orgId), data });
  }
  return JSON.stringify({
    eventId: c.eventId,
    timestamp,
    eventType: LIVEBOARD_SCHEDULE,
    schemaVersion: '1.0',
    source: { applicationName: 'HookRelay', applicationUrl: c.applicationUrl, instanceId: c.instanceId, orgId: String(c.orgId) },
    actor: { actorType: 'SYSTEM' },
    metadataObject: { objectType: 'LIVEBOARD', ...(data.metadataObject ?? {}) },
    data: {
      scheduleDetails: data.scheduleDetails ?? {},
      recipients: data.recipients ?? [],
      aiHighlights: data.aiHighlights ?? null,
      msgUniqueId: crypto.randomUUID(),
      channelID: c.channelId,
      channelType: 'webhook',
      communicationType: 'LiveboardSchedules',
    },
  });
}
