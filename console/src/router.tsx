// A small path router over the History API: the service answers index.html for any page path,
// so every screen has a real URL that survives a reload.
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export type Route =
  | { page: 'webhooks' }
  | { page: 'new' }
  | { page: 'edit'; id: string }
  | { page: 'history'; id: string }
  | { page: 'dlq' }
  | { page: 'preferences' }
  | { page: 'notFound' };

export const paths = {
  webhooks: '/settings/webhooks',
  new: '/settings/webhooks/new',
  edit: (id: string) => `/settings/webhooks/${encodeURIComponent(id)}/edit`,
  history: (id: string) => `/settings/webhooks/${encodeURIComponent(id)}/history`,
  dlq: '/settings/dead-letter-queue',
  preferences: '/settings/channel-preferences',
};

export function parse(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/settings' || p === paths.webhooks) return { page: 'webhooks' };
  if (p === paths.new) return { page: 'new' };
  if (p === paths.dlq) return { page: 'dlq' };
  if (p === paths.preferences) return { page: 'preferences' };
  const m = /^\/settings\/webhooks\/([^/]+)\/(edit|history)$/.exec(p);
  if (m) return { page: m[2] as 'edit' | 'history', id: decodeURIComponent(m[1]) };
  return { page: 'notFound' };
}

const listeners = new Set<() => void>();

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((t) => t + 1);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}

/** An ordinary link (works with middle-click, copy link) that navigates in place on a plain click. */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}
