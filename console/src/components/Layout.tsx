// The frame of every signed-in page: header with org switcher and sign-out, the Settings
// navigation, and the page itself.
import { useState, type ReactNode } from 'react';
import { api } from '../api.ts';
import { Link, paths, type Route } from '../router.tsx';
import { can, type Session } from '../types.ts';
import { ErrorBanner } from './common.tsx';
import { OrgSwitcher } from './OrgSwitcher.tsx';

interface Props {
  session: Session;
  route: Route;
  children: ReactNode;
  onSessionChange: () => Promise<void>;
  onSignedOut: () => void;
}

export function Layout({ session, route, children, onSessionChange, onSignedOut }: Props) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const u = session.user;

  const signOut = async () => {
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', '/api/v1/session');
      onSignedOut();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const section = route.page === 'dlq' ? 'dlq' : route.page === 'preferences' ? 'preferences' : 'webhooks';
  const nav = [
    { id: 'webhooks', to: paths.webhooks, label: 'Manage Webhooks', show: can.viewDeliveries(u) },
    { id: 'dlq', to: paths.dlq, label: 'Dead Letter Queue', show: can.viewDeliveries(u) },
    { id: 'preferences', to: paths.preferences, label: 'Channel Preferences', show: can.manageChannels(u) },
  ].filter((n) => n.show);

  return (
    <div className="shell">
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={paths.webhooks} className="brand" aria-label="HookRelay, Manage Webhooks">
          <img src="/favicon.svg" alt="" width="24" height="24" />
          <span>HookRelay</span>
        </Link>
        <div className="topbar-right">
          <OrgSwitcher session={session} onSwitched={onSessionChange} />
          <span className="user" title={u.privileges.join(', ')}>
            <span className="visually-hidden">Signed in as </span>
            {u.display_name || u.name}
          </span>
          <button type="button" className="btn btn-quiet" onClick={signOut} disabled={busy}>
            {busy ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      </header>
      {error ? (
        <div className="page-error">
          <ErrorBanner error={error} />
        </div>
      ) : null}
      <div className="body">
        <nav className="sidenav" aria-label="Settings">
          <p className="sidenav-title">Settings</p>
          <ul>
            {nav.map((n) => (
              <li key={n.id}>
                <Link to={n.to} aria-current={section === n.id ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="content" className="content" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
