// One failed delivery in the dead letter queue.
import { shortId } from '../format.ts';
import type { Job } from '../types.ts';
import { Time } from './common.tsx';

interface Props {
  job: Job;
  webhookName: string;
  manage: boolean;
  busy: boolean;
  onReplay: () => void;
}

export function DlqRow({ job: j, webhookName, manage, busy, onReplay }: Props) {
  return (
    <tr>
      <td data-label="Event">
        <code>{j.event_type}</code>
        {j.kind === 'test' ? <span className="badge badge-neutral small-badge">test</span> : null}
        <span className="muted block" title={j.event_id}>
          {j.event_name ? `${j.event_name} · ` : ''}
          {shortId(j.event_id)}
        </span>
      </td>
      <td data-label="Webhook">{webhookName}</td>
      <td data-label="Last error">
        <span className="error-text">{j.last_error || j.detail || 'Failed'}</span>
        {j.last_status_code && !(j.last_error || j.detail || '').includes(String(j.last_status_code)) ? <span className="muted block">HTTP {j.last_status_code}</span> : null}
      </td>
      <td data-label="Tries">{j.try_count}</td>
      <td data-label="Failed at">
        <Time value={j.updated_at} />
      </td>
      <td data-label="Actions" className="actions-cell">
        {manage && (
          <button type="button" className="btn btn-small" onClick={onReplay} disabled={busy} aria-label={`Replay ${j.event_type} event ${j.event_id}`}>
            {busy ? 'Replaying…' : 'Replay'}
          </button>
        )}
      </td>
    </tr>
  );
}
