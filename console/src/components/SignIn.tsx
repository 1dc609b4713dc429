// Sign-in with the same accounts as the API; the service sets an HttpOnly session cookie.
import { useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { ErrorBanner, Notice } from './common.tsx';

export function SignIn({ reason, onSignedIn }: { reason?: string; onSignedIn: () => Promise<void> }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/api/v1/session', { username, password }, { quiet401: true });
      await onSignedIn();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="signin-brand">
          <img src="/favicon.svg" alt="" width="36" height="36" />
          <span>HookRelay</span>
        </div>
        <h1 id="signin-title">Sign in to the console</h1>
        {reason && !error ? <Notice kind="info">{reason}</Notice> : null}
        <ErrorBanner error={error} />
        <div className="field">
          <label htmlFor="signin-username">Username</label>
          <input id="signin-username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </div>
        <div className="field">
          <label htmlFor="signin-password">Password</label>
          <input id="signin-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
