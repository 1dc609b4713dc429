// The console's shell: who is signed in, which page the URL names, and the frame around it.
import { useCallback, useEffect, useState } from 'react';
import { api, setSignedOutHandler } from './api.ts';
import { Layout } from './components/Layout.tsx';
import { Loading, ErrorBanner, Empty } from './components/common.tsx';
import { SignIn } from './components/SignIn.tsx';
import { WebhookList } from './components/WebhookList.tsx';
import { WebhookForm } from './components/WebhookForm.tsx';
import { DeliveryHistory } from './components/DeliveryHistory.tsx';
import { DeadLetterQueue } from './components/DeadLetterQueue.tsx';
import { Preferences } from './components/Preferences.tsx';
import { Link, parse, paths, useLocation, type Route } from './router.tsx';
import { can, type Session } from './types.ts';

type State = { status: 'loading' } | { status: 'signedOut'; reason?: string } | { status: 'signedIn'; session: Session } | { status: 'error'; error: Error };

const TITLES: Record<Route['page'], string> = {
  webhooks: 'Manage Webhooks',
  new: 'Register Webhook',
  edit: 'Edit Webhook',
  history: 'Delivery History',
  dlq: 'Dead Letter Queue',
  preferences: 'Channel Preferences',
  notFound: 'Page not found',
};

export function App() {
  const [state, setState] = useState<State>({ status: 'loading' });
  const { pathname } = useLocation();
  const route = parse(pathname);

  const loadSession = useCallback(async () => {
    try {
      const session = await api<Session>('GET', '/api/v1/session', undefined, { quiet401: true });
      setState({ status: 'signedIn', session });
    } catch (err) {
      if ((err as { status?: number }).status === 401) setState({ status: 'signedOut' });
      else setState({ status: 'error', error: err as Error });
    }
  }, []);

  useEffect(() => {
    void loadSession();
    setSignedOutHandler(() => setState({ status: 'signedOut', reason: 'Your session has ended. Sign in again to continue.' }));
    return () => setSignedOutHandler(null);
  }, [loadSession]);

  useEffect(() => {
    document.title = state.status === 'signedIn' ? `${TITLES[route.page]} · HookRelay` : 'Sign in · HookRelay';
  }, [state.status, route.page]);

  if (state.status === 'loading') return <main className="center"><Loading label="Loading the console…" /></main>;
  if (state.status === 'error') {
    return (
      <main className="center">
        <ErrorBanner error={state.error} onRetry={() => void loadSession()} />
      </main>
    );
  }
  if (state.status === 'signedOut') return <SignIn reason={state.reason} onSignedIn={loadSession} />;

  const { session } = state;
  return (
    <Layout session={session} route={route} onSessionChange={loadSession} onSignedOut={() => setState({ status: 'signedOut', reason: 'You have signed out.' })}>
      <Page route={route} session={session} />
    </Layout>
  );
}

function Page({ route, session }: { route: Route; session: Session }) {
  const u = session.user;
  const orgKey = String(u.current_org?.id ?? '');
  if (route.page === 'preferences' && !can.manageChannels(u)) return <Denied what="Channel preferences need the ADMINISTRATION or APPLICATION_ADMINISTRATION privilege." />;
  if (route.page !== 'preferences' && route.page !== 'notFound' && !can.viewDeliveries(u)) {
    return <Denied what="Webhooks need the ADMINISTRATION, DEVELOPER or CAN_MANAGE_WEBHOOKS privilege." />;
  }
  switch (route.page) {
    case 'webhooks':
      return <WebhookList key={orgKey} user={u} />;
    case 'new':
      return <WebhookForm key={`new-${orgKey}`} />;
    case 'edit':
      return <WebhookForm key={`${route.id}-${orgKey}`} id={route.id} />;
    case 'history':
      return <DeliveryHistory key={`${route.id}-${orgKey}`} id={route.id} user={u} />;
    case 'dlq':
      return <DeadLetterQueue key={orgKey} user={u} />;
    case 'preferences':
      return <Preferences key={orgKey} user={u} />;
    default:
      return (
        <Empty title="There is no page at this address.">
          <Link to={paths.webhooks} className="btn btn-primary">Go to Manage Webhooks</Link>
        </Empty>
      );
  }
}

function Denied({ what }: { what: string }) {
  return <Empty title="You do not have access to this page.">{<p>{what}</p>}</Empty>;
}

