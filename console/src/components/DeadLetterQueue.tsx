// Dead Letter Queue: deliveries that failed every retry, with Replay per event and Replay All.
import { useEffect, useId, useState } from 'react';
import { get, post, query } from '../api.ts';
import { plural } from '../format.ts';
import { useInterval, useLoad } from '../hooks.ts';
import { can, type Job, type Pagination, type SessionUser, type Webhook } from '../types.ts';
import { Empty, ErrorBanner, ListTable, Loading, Notice, Pager } from './common.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { DlqRow } from './DlqRow.tsx';
import { ReplayList } from './ReplayList.tsx';
import { useReplays } from './useReplays.ts';

const PAGE = 20;

export function DeadLetterQueue({ user }: { user: SessionUser }) {
  const [webhookFilter, setWebhookFilter] = useState('');
  const [offset, setOffset] = useState(0);
  const [auto, setAuto] = useState(true);
  const [replaying, setReplaying] = useState<string | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const [allBusy, setAllBusy] = useState(false);
  const [allError, setAllError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [rowError, setRowError] = useState<unknown>(null);
  const ids = useId();
  const manage = can.manageWebhooks(user);
  const { replays, follow, clear } = useReplays();

  // The filter's choices: the first 1,000 webhooks by name (the rows name their own webhook).
  const webhooks = useLoad(() => get<{ webhooks: Webhook[] }>('/api/v1/webhooks?limit=1000'), []);
  const dlq = useLoad(() => get<{ items: Job[]; pagination: Pagination }>(`/api/v1/dlq${query({ offset, limit: PAGE, webhook: webhookFilter })}`), [offset, webhookFilter]);
  useInterval(() => void dlq.reload(), 3000, auto && !dlq.error && !confirmAll);

  const names = new Map((webhooks.data?.webhooks ?? []).map((w) => [w.id, w.name]));
  const nameOf = (id: string | null) => (id ? (names.get(id) ?? 'deleted webhook') : '—');
  const rowName = (j: Job) => (j.webhook_id ? (j.webhook_name ?? 'deleted webhook') : '—');
  const items = dlq.data?.items ?? [];
  const total = dlq.data?.pagination.total ?? 0;
  // A page emptied by its replays, with entries left before it: back to the last page that has
  // some (it said "The dead letter queue is empty." with no pager; console fuzzing, 2026-12-07).
  const pastTheEnd = !!dlq.data && items.length === 0 && total > 0 && offset > 0;
  useEffect(() => {
    if (pastTheEnd) setOffset(Math.floor((total - 1) / PAGE) * PAGE);
  }, [pastTheEnd, total]);

  const replay = async (job: Job) => {
    setReplaying(job.id);
    setRowError(null);
    try {
      await post(`/api/v1/dlq/${encodeURIComponent(job.id)}/replay`);
      void follow(job, rowName(job));
      await dlq.reload();
    } catch (err) {
      setRowError(err);
    } finally {
      setReplaying(null);
    }
  };
  const replayAll = async () => {
    setAllBusy(true);
    setAllError(null);
    try {
      const { queued, skipped_deleted_webhooks: skipped } = await post<{ queued: number; skipped_deleted_webhooks: number }>('/api/v1/dlq/replay-all', webhookFilter ? { webhook: webhookFilter } : {});
      setConfirmAll(false);
      setNotice(`Replay All queued ${plural(queued, 'event')} for delivery.${skipped ? ` ${plural(skipped, 'failed delivery', 'failed deliveries')} of deleted webhooks left as they are.` : ''}`);
      await dlq.reload();
    } catch (err) {
      setAllError(err);
    } finally {
      setAllBusy(false);
    }
  };

  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <div>
          <p className="crumbs">Settings</p>
          <h1 id="page-title">Dead Letter Queue</h1>
          <p className="lede">Deliveries land here after every retry failed. Fix the endpoint, then replay them.</p>
        </div>
        {manage && (
          <button type="button" className="btn btn-primary" onClick={() => { setAllError(null); setConfirmAll(true); }} disabled={total === 0}>
            Replay All
          </button>
        )}
      </div>
      {notice && <Notice onClose={() => setNotice(null)}>{notice}</Notice>}
      <ReplayList replays={replays} onClear={clear} />
      <div className="filters">
        <div className="field">
          <label htmlFor={`${ids}-webhook`}>Webhook</label>
          <select id={`${ids}-webhook`} value={webhookFilter} onChange={(e) => { setWebhookFilter(e.target.value); setOffset(0); }}>
            <option value="">All webhooks</option>
            {(webhooks.data?.webhooks ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </div>
        <label className="check inline" htmlFor={`${ids}-auto`}>
          <input id={`${ids}-auto`} type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} />
          <span>Auto-refresh</span>
        </label>
      </div>
      <ErrorBanner error={rowError} />
      <ErrorBanner error={dlq.error} onRetry={() => void dlq.reload()} />
      {dlq.loading && !dlq.data ? (
        <Loading label="Loading failed deliveries…" />
      ) : dlq.data && items.length === 0 && !pastTheEnd ? (
        <Empty title="The dead letter queue is empty.">
          <p>Every event was delivered or is still being retried.</p>
        </Empty>
      ) : items.length ? (
        <>
          <p className="count" aria-live="polite">
            {plural(total, 'failed delivery', 'failed deliveries')}
          </p>
          <ListTable label="Failed deliveries" columns={['Event', 'Webhook', 'Last error', 'Tries', 'Failed at']}>
            {items.map((j) => (
              <DlqRow key={j.id} job={j} webhookName={rowName(j)} manage={manage} busy={replaying === j.id} onReplay={() => void replay(j)} />
            ))}
          </ListTable>
          {dlq.data && <Pager offset={dlq.data.pagination.offset} limit={dlq.data.pagination.limit} total={total} onPage={setOffset} label="Dead letter queue pages" />}
        </>
      ) : null}
      <ConfirmDialog
        open={confirmAll}
        title="Replay all failed deliveries?"
        confirmLabel={`Replay ${plural(total, 'event')}`}
        busy={allBusy}
        error={<ErrorBanner error={allError} />}
        onConfirm={() => void replayAll()}
        onCancel={() => setConfirmAll(false)}
      >
        <p>
          {plural(total, 'failed delivery', 'failed deliveries')}
          {webhookFilter ? ` to “${nameOf(webhookFilter)}”` : ''} will be queued again and retried with the normal retry policy. Make sure the endpoints are working first.
        </p>
      </ConfirmDialog>
    </section>
  );
}
