// Effective communication channels of (org, event type): the org's own preference when it has one,
// else the cluster default, else EMAIL only (ThoughtSpot's behaviour before webhooks existed).
import { PREFERENCE_EVENT_TYPES, type Channel } from './events.ts';

export interface ChannelPreference {
  eventType: string;
  channels: Channel[];
}

export function effectiveChannels(
  eventType: string,
  orgPrefs: readonly ChannelPreference[],
  clusterPrefs: readonly ChannelPreference[],
): Channel[] {
  // Product events (seed 004) are not governed by preferences: their webhooks always receive them.
  if (!PREFERENCE_EVENT_TYPES.includes(eventType)) return ['WEBHOOK'];
  const own = orgPrefs.find((p) => p.eventType === eventType);
  if (own) return own.channels;
  const cluster = clusterPrefs.find((p) => p.eventType === eventType);
  if (cluster) return cluster.channels;
  return ['EMAIL'];
}
