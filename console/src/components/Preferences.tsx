// Communication-channel preferences: which channels (WEBHOOK, EMAIL) carry LIVEBOARD_SCHEDULE
// events, as a cluster default and per org.
import { useEffect, useState } from 'react';
import { post } from '../api.ts';
import { useLoad } from '../hooks.ts';
import { can, PREFERENCE_EVENT_TYPES, type ChannelPref, type SessionUser } from '../types.ts';
import { ChannelChecks } from './ChannelChecks.tsx';
import { ErrorBanner, Loading, Notice } from './common.tsx';
import { OrgPreferences } from './OrgPreferences.tsx';
import { channelsOf, CONFIGURE, DEFAULT_CHANNELS, SEARCH, type PrefsResponse } from '../prefs-model.ts';

export function Preferences({ user }: { user: SessionUser }) {
  const prefs = useLoad(() => post<PrefsResponse>(SEARCH, {}), []);
  const [cluster, setCluster] = useState<Record<string, string[]>>({});
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const admin = can.administer(user);

  useEffect(() => {
    if (!prefs.data) return;
    setCluster(Object.fromEntries(PREFERENCE_EVENT_TYPES.map((t) => [t, channelsOf(prefs.data!.cluster_preferences, t) ?? DEFAULT_CHANNELS])));
  }, [prefs.data]);

  const saveCluster = async () => {
    setSaving(true);
    setError(null);
    setSaved(null);
    try {
      await post(CONFIGURE, { cluster_preferences: PREFERENCE_EVENT_TYPES.map((t) => ({ event_type: t, channels: cluster[t] ?? [] })) });
      setSaved('Saved the cluster default.');
      await prefs.reload();
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <div>
          <p className="crumbs">Settings</p>
          <h1 id="page-title">Channel Preferences</h1>
          <p className="lede">Choose how scheduled Liveboard notifications (LIVEBOARD_SCHEDULE) are sent: by webhook, by email, or both. Product events such as kpi.alert always go to their webhooks.</p>
        </div>
      </div>
      <ErrorBanner error={prefs.error} onRetry={() => void prefs.reload()} />
      {prefs.loading && !prefs.data ? <Loading label="Loading preferences…" /> : null}
      {prefs.data ? (
        <>
          <div className="card">
            <h2>Cluster default</h2>
            <p className="hint">Applies to every org that has no setting of its own. Without a cluster default, notifications go by email only.</p>
            {saved && <Notice onClose={() => setSaved(null)}>{saved}</Notice>}
            <ErrorBanner error={error} />
            {PREFERENCE_EVENT_TYPES.map((t) => (
              <div className="pref-row" key={t}>
                <code id={`cluster-${t}-label`}>{t}</code>
                <ChannelChecks idBase={`cluster-${t}`} legend={`Cluster channels for ${t}`} value={cluster[t] ?? []} disabled={!admin || saving} onChange={(c) => setCluster({ ...cluster, [t]: c })} />
              </div>
            ))}
            {admin ? (
              <button type="button" className="btn btn-primary" onClick={() => void saveCluster()} disabled={saving}>
                {saving ? 'Saving…' : 'Save cluster default'}
              </button>
            ) : (
              <p className="muted">Only administrators (ADMINISTRATION) can change the cluster default.</p>
            )}
          </div>
          <OrgPreferences data={prefs.data} onSaved={() => void prefs.reload()} />
        </>
      ) : null}
    </section>
  );
}
