// Per-org channel preferences: inherit the cluster default, or the org's own channels.
import { useEffect, useState } from 'react';
import { post } from '../api.ts';
import { PREFERENCE_EVENT_TYPES } from '../types.ts';
import { ChannelChecks } from './ChannelChecks.tsx';
import { ErrorBanner } from './common.tsx';
import { channelsOf, CONFIGURE, DEFAULT_CHANNELS, describe, type PrefsResponse } from '../prefs-model.ts';

type Org = PrefsResponse['org_preferences'][number];

export function OrgPreferences({ data, onSaved }: { data: PrefsResponse; onSaved: () => void }) {
  return (
    <div className="card">
      <h2>Orgs</h2>
      <p className="hint">An org either inherits the cluster default or sets its own channels.</p>
      <ul className="org-prefs">
        {data.org_preferences.map((o) => (
          <OrgPref key={o.org.id} org={o} cluster={data.cluster_preferences} onSaved={onSaved} />
        ))}
      </ul>
    </div>
  );
}

function OrgPref({ org, cluster, onSaved }: { org: Org; cluster: PrefsResponse['cluster_preferences']; onSaved: () => void }) {
  const type = PREFERENCE_EVENT_TYPES[0];
  const own = channelsOf(org.preferences, type);
  const inherited = channelsOf(cluster, type) ?? DEFAULT_CHANNELS;
  const [inherit, setInherit] = useState(own === undefined);
  const [channels, setChannels] = useState<string[]>(own ?? inherited);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const base = `org-${org.org.id}`;

  useEffect(() => {
    setInherit(own === undefined);
    setChannels(own ?? inherited);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [org, cluster]);

  const save = async () => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const entry = inherit
        ? { org_identifier: org.org.id, operation: 'RESET', reset_events: [type] }
        : { org_identifier: org.org.id, operation: 'REPLACE', preferences: [{ event_type: type, channels }] };
      await post(CONFIGURE, { org_preferences: [entry] });
      setSaved(true);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="org-pref">
      <div className="org-pref-name">
        <strong>{org.org.name}</strong>
        <span className="muted block">Now: {own === undefined ? `${describe(inherited)} (cluster default)` : describe(own)}</span>
      </div>
      <div className="org-pref-edit">
        <label className="check inline" htmlFor={`${base}-inherit`}>
          <input id={`${base}-inherit`} type="checkbox" checked={inherit} onChange={(e) => setInherit(e.target.checked)} disabled={busy} />
          <span>Use cluster default</span>
        </label>
        <ChannelChecks idBase={base} legend={`Channels for ${org.org.name}`} value={inherit ? inherited : channels} disabled={inherit || busy} onChange={setChannels} />
        <button type="button" className="btn btn-small" onClick={() => void save()} disabled={busy} aria-label={`Save preferences of ${org.org.name}`}>
          {busy ? 'Saving…' : 'Save'}
        </button>
        {saved && !busy ? <span className="ok-text" role="status">Saved</span> : null}
      </div>
      <ErrorBanner error={error} />
    </li>
  );
}
