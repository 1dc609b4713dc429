// What happened to the events replayed from this page.
import { shortId } from '../format.ts';
import type { Replay } from './useReplays.ts';

const TEXT: Record<Replay['state'], string> = {
  queued: 'Queued, waiting for delivery…',
  SUCCESS: 'Delivered',
  RETRY: 'Failed again; retrying',
  FAILED: 'Failed again; back in the queue',
  unknown: 'Outcome unknown',
};

export function ReplayList({ replays, onClear }: { replays: Replay[]; onClear: () => void }) {
  if (!replays.length) return null;
  return (
    <div className="card replays" aria-live="polite">
      <div className="replays-head">
        <h2>Replayed from this page</h2>
        <button type="button" className="btn-link" onClick={onClear}>
          Clear
        </button>
      </div>
      <ul>
        {replays.map((r) => (
          <li key={r.job.id} className={`replay replay-${r.state.toLowerCase()}`}>
            <span className={`badge ${r.state === 'SUCCESS' ? 'badge-ok' : r.state === 'queued' ? 'badge-neutral' : 'badge-fail'}`}>
              {TEXT[r.state]}
              {r.statusCode ? ` · HTTP ${r.statusCode}` : ''}
            </span>{' '}
            <code>{r.job.event_type}</code> to {r.webhookName} <span className="muted">({shortId(r.job.event_id)})</span>
            {r.state !== 'SUCCESS' && r.state !== 'queued' && r.detail ? <span className="error-text block">{r.detail}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
