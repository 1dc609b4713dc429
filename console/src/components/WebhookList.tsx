// Settings → Manage Webhooks: the org's webhooks with their last delivery, and the actions Test,
// Delivery History, Edit and Delete.
import { useEffect, useState } from 'react';
import { get, post } from '../api.ts';
import { takeFlash } from '../flash.ts';
import { useLoad } from '../hooks.ts';
import { Link, paths } from '../router.tsx';
import { can, type Pagination, type SessionUser, type Webhook } from '../types.ts';
import { Empty, ErrorBanner, ListTable, Loading, Notice, Pager } from './common.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { WebhookRow } from './WebhookRow.tsx';
import { useTestDelivery } from './useTestDelivery.tsx';

const PAGE = 100;

export function WebhookList({ user }: { user: SessionUser }) {
  const [offset, setOffset] = useState(0);
  const list = useLoad(() => get<{ webhooks: Webhook[]; pagination: Pagination }>(`/api/v1/webhooks?offset=${offset}&limit=${PAGE}`), [offset]);
  const [flash, setFlash] = useState<string | null>(() => takeFlash());
  const [toDelete, setToDelete] = useState<Webhook | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const tests = useTestDelivery(() => void list.reload());
  const manage = can.manageWebhooks(user);

  const confirmDelete = async () => {
    if (!toDelete) return;
    setDeleting(true);
    setDeleteError(null);
    try {
      const res = await post<{ deleted_count: number; failed_webhooks: { error: string }[] }>('/api/rest/2.0/webhooks/delete', { webhook_identifiers: [toDelete.id] });
      if (res.deleted_count !== 1) throw new Error(res.failed_webhooks[0]?.error ?? 'the webhook was not deleted');
      setFlash(`Deleted webhook “${toDelete.name}”.`);
      setToDelete(null);
      await list.reload();
    } catch (err) {
      setDeleteError(err);
    } finally {
      setDeleting(false);
    }
  };

  const webhooks = list.data?.webhooks ?? [];
  const total = list.data?.pagination.total ?? 0;
  // The last webhook of a page deleted: back to the last page that has some.
  const pastTheEnd = !!list.data && webhooks.length === 0 && total > 0 && offset > 0;
  useEffect(() => {
    if (pastTheEnd) setOffset(Math.floor((total - 1) / PAGE) * PAGE);
  }, [pastTheEnd, total]);
  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <div>
          <p className="crumbs">Settings</p>
          <h1 id="page-title">Manage Webhooks</h1>
          <p className="lede">Webhooks send a signed HTTP POST to your service when events happen in your workspace.</p>
        </div>
        {manage && webhooks.length > 0 && (
          <Link to={paths.new} className="btn btn-primary">
            Register Webhook
          </Link>
        )}
      </div>
      {flash && <Notice onClose={() => setFlash(null)}>{flash}</Notice>}
      {tests.notice}
      <ErrorBanner error={list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? (
        <Loading label="Loading webhooks…" />
      ) : list.data && webhooks.length === 0 && !pastTheEnd ? (
        <Empty title="No webhooks yet">
          <p>Register a webhook to start receiving events such as kpi.alert or ingestion.completed.</p>
          {manage && (
            <Link to={paths.new} className="btn btn-primary">
              Register Webhook
            </Link>
          )}
        </Empty>
      ) : webhooks.length ? (
        <ListTable className="webhooks" describedBy="page-title" columns={['Name', 'URL', 'Events', 'Status', 'Last delivery']}>
          {webhooks.map((w) => (
            <WebhookRow key={w.id} webhook={w} manage={manage} testing={tests.busy(w.id)} onTest={() => void tests.run(w)} onDelete={() => { setDeleteError(null); setToDelete(w); }} />
          ))}
        </ListTable>
      ) : null}
      {list.data && total > PAGE && <Pager offset={offset} limit={PAGE} total={total} onPage={setOffset} label="Webhook pages" />}
      <ConfirmDialog
        open={toDelete !== null}
        title="Delete webhook?"
        confirmLabel="Delete webhook"
        danger
        busy={deleting}
        error={<ErrorBanner error={deleteError} />}
        onConfirm={() => void confirmDelete()}
        onCancel={() => setToDelete(null)}
      >
        <p>
          “{toDelete?.name}” stops receiving events at once, and deliveries still queued for it will fail. This cannot be undone.
        </p>
      </ConfirmDialog>
    </section>
  );
}
