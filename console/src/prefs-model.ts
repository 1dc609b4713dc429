import type { ChannelPref } from './types.ts';

export interface PrefsResponse {
  cluster_preferences: ChannelPref[];
  org_preferences: { org: { id: string; name: string }; preferences: ChannelPref[] }[];
}

export const SEARCH = '/api/rest/2.0/system/preferences/communication-channels/search';
export const CONFIGURE = '/api/rest/2.0/system/preferences/communication-channels/configure';
/** What the service uses when neither the org nor the cluster has a preference. */
export const DEFAULT_CHANNELS = ['EMAIL'];

export const channelsOf = (prefs: ChannelPref[], type: string) => prefs.find((p) => p.event_type === type)?.channels;
export const describe = (channels: string[]) => (channels.length ? channels.map((c) => (c === 'WEBHOOK' ? 'Webhook' : 'Email')).join(' + ') : 'No channel');
