// Small shared pieces: loading and empty states, error and notice banners, status badges, paging,
// the list table.
import type { ReactNode } from 'react';
import { ApiError } from '../api.ts';
import { formatTime, relativeTime } from '../format.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children}
    </div>
  );
}

export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const e = error as Error;
  const code = e instanceof ApiError && e.status ? ` (${e.status} ${e.code})` : '';
  return (
    <div className="banner banner-error" role="alert">
      <span>
        <strong>Error{code}:</strong> {e.message}
      </span>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Notice({ kind = 'success', children, onClose }: { kind?: 'success' | 'info' | 'warning'; children: ReactNode; onClose?: () => void }) {
  return (
    <div className={`banner banner-${kind}`} role="status">
      <span>{children}</span>
      {onClose && (
        <button type="button" className="btn-link" onClick={onClose} aria-label="Dismiss message">
          ✕
        </button>
      )}
    </div>
  );
}

/** HTTP status of an attempt: green for 2xx, red otherwise (also for "no response"). */
export function StatusCode({ code, success }: { code: number | null; success: boolean }) {
  return (
    <span className={`badge ${success ? 'badge-ok' : 'badge-fail'}`}>
      <span aria-hidden="true">{success ? '✓' : '✕'}</span> {code ?? 'No response'}
      <span className="visually-hidden">{success ? ' (success)' : ' (failure)'}</span>
    </span>
  );
}

export function Time({ value }: { value: string | number | null | undefined }) {
  if (value === null || value === undefined) return <span>—</span>;
  const iso = new Date(value).toISOString();
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(value)} <span className="muted">({relativeTime(value)})</span>
    </time>
  );
}

/** A list as a responsive table: named columns and a last, unlabelled one for each row's actions. */
export function ListTable({ className, label, describedBy, columns, children }: { className?: string; label?: string; describedBy?: string; columns: string[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className={className ? `table responsive ${className}` : 'table responsive'} aria-label={label} aria-describedby={describedBy}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** exact: false when the server stopped counting at `total` (shown as "10,000+"). */
export function Pager({ offset, limit, total, exact = true, onPage, label }: { offset: number; limit: number; total: number; exact?: boolean; onPage: (offset: number) => void; label: string }) {
  if (total <= limit && offset === 0) return null;
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="btn" disabled={offset === 0} onClick={() => onPage(Math.max(0, offset - limit))}>
        ← Previous
      </button>
      <span aria-live="polite">
        {from}–{to} of {exact ? total : `${total.toLocaleString('en-US')}+`}
      </span>
      <button type="button" className="btn" disabled={to >= total} onClick={() => onPage(offset + limit)}>
        Next →
      </button>
    </nav>
  );
}

export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id}>
      {message}
    </p>
  );
}
