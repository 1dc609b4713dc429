// Delivery History of one webhook: every attempt, newest first, with filters, paging, details
// and Resend.
import { useId, useState } from 'react';
import { get, post, query } from '../api.ts';
import { shortId } from '../format.ts';
import { useInterval, useLoad } from '../hooks.ts';
import { Link, paths } from '../router.tsx';
import { can, type Attempt, type Pagination, type SessionUser, type Webhook } from '../types.ts';
import { AttemptRow } from './AttemptRow.tsx';
import { Empty, ErrorBanner, ListTable, Loading, Notice, Pager } from './common.tsx';
import { HistoryFilters, NO_FILTERS, timeBounds, type Filters } from './HistoryFilters.tsx';

const PAGE = 20;

/** A channel validation's check (validation.ts): it has no event to send again. */
const isValidation = (a: Attempt) => a.job_id.startsWith('n.validation-');

export function DeliveryHistory({ id, user }: { id: string; user: SessionUser }) {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [auto, setAuto] = useState(true);
  const [resending, setResending] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; content: unknown } | null>(null);
  const autoId = useId();

  const webhook = useLoad(async () => {
    try {
      return await get<Webhook>(`/api/v1/webhooks/${encodeURIComponent(id)}`);
    } catch (err) {
      if ((err as { status?: number }).status === 404) return null;
      throw err;
    }
  }, [id]);
  const attempts = useLoad(
    () =>
      get<{ attempts: Attempt[]; pagination: Pagination }>(
        `/api/v1/webhooks/${encodeURIComponent(id)}/attempts${query({ offset, limit: PAGE, status: filters.status, ...timeBounds(filters) })}`,
      ),
    [id, offset, filters],
  );
  useInterval(() => void attempts.reload(), 3000, auto && offset === 0 && !attempts.error);

  const applyFilters = (f: Filters) => {
    setFilters(f);
    setOffset(0);
  };
  const toggle = (attemptId: string) =>
    setExpanded((s) => {
      const n = new Set(s);
      if (n.has(attemptId)) n.delete(attemptId);
      else n.add(attemptId);
      return n;
    });
  const resend = async (a: Attempt) => {
    setResending(a.id);
    setNotice(null);
    try {
      const r = await post<{ job_id: string }>(`/api/v1/webhooks/${encodeURIComponent(id)}/resend`, { event_id: a.event_id });
      setNotice({ kind: 'success', content: `Event ${shortId(a.event_id)} was queued for delivery again (job ${shortId(r.job_id)}). Its new attempt appears here shortly.` });
      setTimeout(() => void attempts.reload(), 800);
    } catch (err) {
      setNotice({ kind: 'error', content: err });
    } finally {
      setResending(null);
    }
  };

  const w = webhook.data;
  const rows = attempts.data?.attempts ?? [];
  const page = attempts.data?.pagination;
  const filtered = Boolean(filters.status || filters.range);
  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to={paths.webhooks}>Manage Webhooks</Link> <span aria-hidden="true">›</span>
          </p>
          <h1 id="page-title">Delivery History{w ? <span className="title-sub"> · {w.name}</span> : null}</h1>
          {w && <p className="lede"><code className="url">{w.url}</code></p>}
        </div>
        <div className="head-actions">
          <label className="check inline" htmlFor={autoId}>
            <input id={autoId} type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} />
            <span>Auto-refresh</span>
          </label>
          <button type="button" className="btn" onClick={() => void attempts.reload()} disabled={attempts.loading}>
            {attempts.loading && attempts.data ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </div>
      <ErrorBanner error={webhook.error} />
      {notice && (notice.kind === 'error' ? <ErrorBanner error={notice.content} /> : <Notice onClose={() => setNotice(null)}>{String(notice.content)}</Notice>)}
      <HistoryFilters value={filters} onChange={applyFilters} />
      <ErrorBanner error={attempts.error} onRetry={() => void attempts.reload()} />
      {attempts.loading && !attempts.data ? (
        <Loading label="Loading delivery attempts…" />
      ) : attempts.data && rows.length === 0 ? (
        <Empty title={filtered ? 'No attempts match these filters.' : 'No deliveries yet.'}>
          <p>{filtered ? 'Clear the filters or widen the time range.' : 'Attempts appear here as soon as an event is sent. Use Test on Manage Webhooks to send one.'}</p>
        </Empty>
      ) : rows.length ? (
        <>
          <ListTable className="history" label="Delivery attempts" columns={['Status', 'Time', 'Response time', 'Event', 'Error']}>
            {rows.map((a) => (
              <AttemptRow key={a.id} attempt={a} expanded={expanded.has(a.id)} onToggle={() => toggle(a.id)} canResend={can.manageWebhooks(user) && !isValidation(a)} resending={resending === a.id} onResend={() => void resend(a)} />
            ))}
          </ListTable>
          {page && <Pager offset={page.offset} limit={page.limit} total={page.total} exact={page.total_exact !== false} onPage={setOffset} label="Delivery history pages" />}
        </>
      ) : null}
    </section>
  );
}
