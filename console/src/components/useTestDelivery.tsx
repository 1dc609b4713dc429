// The Test action: sends a test event to one webhook and follows its job until the first attempt
// has an outcome, then says what happened.
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { get, post } from '../api.ts';
import { sleep } from '../hooks.ts';
import { Link, paths } from '../router.tsx';
import type { Job, Webhook } from '../types.ts';
import { ErrorBanner, Notice } from './common.tsx';

const FOLLOW_MS = 20_000;

export function useTestDelivery(onSettled: () => void) {
  const [running, setRunning] = useState<Set<string>>(new Set());
  const [notice, setNotice] = useState<ReactNode>(null);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const setBusy = (id: string, on: boolean) =>
    setRunning((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });

  const history = (w: Webhook) => (
    <Link to={paths.history(w.id)}>View Delivery History</Link>
  );

  async function run(w: Webhook) {
    setBusy(w.id, true);
    setNotice(<Notice kind="info">Sending a test event to “{w.name}”…</Notice>);
    try {
      const { event_id, job_id } = await post<{ event_id: string; job_id: string }>(`/api/v1/webhooks/${encodeURIComponent(w.id)}/test`);
      const deadline = Date.now() + FOLLOW_MS;
      let job: Job | undefined;
      while (Date.now() < deadline && alive.current) {
        await sleep(400);
        const res = await get<{ jobs: Job[] }>(`/api/v1/events/${encodeURIComponent(event_id)}/jobs`);
        job = res.jobs.find((j) => j.id === job_id) ?? res.jobs[0];
        if (job && (job.status === 'SUCCESS' || job.status === 'FAILED' || job.status === 'RETRY')) break;
      }
      const code = job?.last_status_code ? `HTTP ${job.last_status_code}` : 'no response';
      const close = () => setNotice(null);
      if (job?.status === 'SUCCESS') {
        setNotice(<Notice onClose={close}>Test event delivered to “{w.name}”: {code}. {history(w)}</Notice>);
      } else if (job?.status === 'FAILED' || job?.status === 'RETRY') {
        const then = job.status === 'RETRY' ? ' It will be retried.' : ' It is in the dead letter queue.';
        setNotice(<Notice kind="warning" onClose={close}>Test event to “{w.name}” failed: {code}{job.detail ? ` — ${job.detail}` : ''}.{then} {history(w)}</Notice>);
      } else {
        setNotice(<Notice kind="info" onClose={close}>Test event to “{w.name}” is queued and not delivered yet. {history(w)}</Notice>);
      }
    } catch (err) {
      setNotice(<ErrorBanner error={err} />);
    } finally {
      setBusy(w.id, false);
      onSettled();
    }
  }

  return { run, busy: (id: string) => running.has(id), notice };
}
