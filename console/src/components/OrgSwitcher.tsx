// Switches the session to another org (a new session cookie and CSRF token come back).
import { useId, useState } from 'react';
import { post } from '../api.ts';
import { navigate, paths } from '../router.tsx';
import type { Session } from '../types.ts';

export function OrgSwitcher({ session, onSwitched }: { session: Session; onSwitched: () => Promise<void> }) {
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const current = session.user.current_org;
  if (session.orgs.length < 2) {
    return current ? <span className="org-name" aria-label={`Org: ${current.name}`}>{current.name}</span> : null;
  }
  const change = async (value: string) => {
    setBusy(true);
    setError(null);
    try {
      await post('/api/v1/session/org', { org_id: Number(value) });
      await onSwitched();
      // Webhook ids belong to an org: leave pages that name one.
      if (/\/settings\/webhooks\/.+/.test(location.pathname)) navigate(paths.webhooks);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="org-switcher">
      <label htmlFor={id}>Org</label>
      <select
        id={id}
        value={String(current?.id ?? '')}
        disabled={busy}
        onChange={(e) => void change(e.target.value)}
        aria-describedby={error ? `${id}-err` : undefined}
      >
        {session.orgs.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
      {error && (
        <span className="field-error" id={`${id}-err`} role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
