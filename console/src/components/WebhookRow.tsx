// One row of the Manage Webhooks table (a card on narrow screens).
import { Link, paths } from '../router.tsx';
import type { Webhook } from '../types.ts';
import { StatusCode, Time } from './common.tsx';

function health(w: Webhook): { label: string; cls: string } {
  if (!w.last_delivery) return { label: 'No deliveries yet', cls: 'badge-neutral' };
  return w.last_delivery.success ? { label: 'Healthy', cls: 'badge-ok' } : { label: 'Failing', cls: 'badge-fail' };
}

interface Props {
  webhook: Webhook;
  manage: boolean;
  testing: boolean;
  onTest: () => void;
  onDelete: () => void;
}

export function WebhookRow({ webhook: w, manage, testing, onTest, onDelete }: Props) {
  const h = health(w);
  const last = w.last_delivery;
  return (
    <tr>
      <td data-label="Name">
        <strong className="wh-name">{w.name}</strong>
        {w.description ? <span className="muted block">{w.description}</span> : null}
      </td>
      <td data-label="URL">
        <code className="url">{w.url}</code>
      </td>
      <td data-label="Events">
        <ul className="chips" aria-label="Events">
          {w.events.map((e) => (
            <li key={e} className="chip">
              {e}
            </li>
          ))}
        </ul>
      </td>
      <td data-label="Status">
        <span className={`badge ${h.cls}`}>{h.label}</span>
      </td>
      <td data-label="Last delivery">
        {last ? (
          <div className="last-delivery">
            <StatusCode code={last.status_code} success={last.success} />
            <Time value={last.timestamp} />
            {!last.success && last.error ? <span className="error-text">{last.error}</span> : null}
          </div>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td data-label="Actions" className="actions-cell">
        <div className="actions">
          {manage && (
            <button type="button" className="btn btn-small" onClick={onTest} disabled={testing} aria-label={`Test ${w.name}`}>
              {testing ? 'Testing…' : 'Test'}
            </button>
          )}
          <Link to={paths.history(w.id)} className="btn btn-small" aria-label={`Delivery History of ${w.name}`}>
            Delivery History
          </Link>
          {manage && (
            <>
              <Link to={paths.edit(w.id)} className="btn btn-small" aria-label={`Edit ${w.name}`}>
                Edit
              </Link>
              <button type="button" className="btn btn-small btn-danger-outline" onClick={onDelete} aria-label={`Delete ${w.name}`}>
                Delete
              </button>
            </>
          )}
        </div>
      </td>
    </tr>
  );
}
