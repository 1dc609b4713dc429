// One delivery attempt: a summary row and, expanded, the request headers and response body.
import { Fragment } from 'react';
import { formatDuration, shortId } from '../format.ts';
import type { Attempt } from '../types.ts';
import { StatusCode, Time } from './common.tsx';

const clip = (text: string, max = 80) => {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
};

interface Props {
  attempt: Attempt;
  expanded: boolean;
  onToggle: () => void;
  canResend: boolean;
  resending: boolean;
  onResend: () => void;
}

export function AttemptRow({ attempt: a, expanded, onToggle, canResend, resending, onResend }: Props) {
  const detailId = `attempt-${a.id}`;
  const headers = Object.entries(a.request_headers ?? {});
  return (
    <Fragment>
      <tr className={a.success ? 'row-ok' : 'row-fail'}>
        <td data-label="Status">
          <StatusCode code={a.status_code} success={a.success} />
        </td>
        <td data-label="Time">
          <Time value={a.timestamp} />
        </td>
        <td data-label="Response time">{formatDuration(a.response_time_ms)}</td>
        <td data-label="Event">
          <code title={a.event_id}>{shortId(a.event_id)}</code> <span className="muted">try {a.attempt}</span>
        </td>
        <td data-label="Error">
          {a.error ? (
            <span className="error-text">{a.error}</span>
          ) : !a.success ? (
            <span className="error-text">HTTP {a.status_code}{a.response_body ? `: ${clip(a.response_body)}` : ''}</span>
          ) : (
            <span className="muted">—</span>
          )}
        </td>
        <td data-label="Actions" className="actions-cell">
          <div className="actions">
            <button type="button" className="btn btn-small" aria-expanded={expanded} aria-controls={detailId} onClick={onToggle}>
              {expanded ? 'Hide details' : 'Details'}
            </button>
            {canResend && (
              <button type="button" className="btn btn-small" onClick={onResend} disabled={resending} aria-label={`Resend event ${a.event_id}`}>
                {resending ? 'Resending…' : 'Resend'}
              </button>
            )}
          </div>
        </td>
      </tr>
      {expanded && (
        <tr className="detail-row" id={detailId}>
          <td colSpan={6}>
            <div className="detail-grid">
              <div>
                <h3>Request headers</h3>
                {headers.length ? (
                  <table className="kv">
                    <tbody>
                      {headers.map(([k, v]) => (
                        <tr key={k}>
                          <th scope="row">{k}</th>
                          <td>
                            <code>{v}</code>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  <p className="muted">No request was sent (the attempt failed before connecting).</p>
                )}
              </div>
              <div>
                <h3>Response body</h3>
                {a.response_body ? <pre className="body-pre">{a.response_body}</pre> : <p className="muted">Empty or no response.</p>}
                <p className="muted small">
                  Event <code>{a.event_id}</code> · job <code>{a.job_id}</code> · attempt {a.attempt}
                </p>
              </div>
            </div>
          </td>
        </tr>
      )}
    </Fragment>
  );
}
