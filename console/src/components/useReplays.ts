// Follows replayed dead-letter jobs until their next attempt has an outcome.
import { useEffect, useRef, useState } from 'react';
import { get } from '../api.ts';
import { sleep } from '../hooks.ts';
import type { Job } from '../types.ts';

export interface Replay {
  job: Job;
  webhookName: string;
  state: 'queued' | 'SUCCESS' | 'FAILED' | 'RETRY' | 'unknown';
  statusCode: number | null;
  detail: string | null;
}

const FOLLOW_MS = 60_000;

export function useReplays() {
  const [replays, setReplays] = useState<Replay[]>([]);
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const update = (jobId: string, patch: Partial<Replay>) => setReplays((rs) => rs.map((r) => (r.job.id === jobId ? { ...r, ...patch } : r)));

  async function follow(job: Job, webhookName: string) {
    setReplays((rs) => [{ job, webhookName, state: 'queued', statusCode: null, detail: null }, ...rs.filter((r) => r.job.id !== job.id)]);
    const deadline = Date.now() + FOLLOW_MS;
    while (alive.current && Date.now() < deadline) {
      await sleep(500);
      try {
        const { jobs } = await get<{ jobs: Job[] }>(`/api/v1/events/${encodeURIComponent(job.event_id)}/jobs`);
        const now = jobs.find((j) => j.id === job.id);
        if (!now) continue;
        // try_count grows with the replayed attempt; until then the job still shows its old outcome.
        if (now.status === 'SUCCESS' || ((now.status === 'FAILED' || now.status === 'RETRY') && now.try_count > job.try_count)) {
          update(job.id, { state: now.status as Replay['state'], statusCode: now.last_status_code, detail: now.detail });
          if (now.status !== 'RETRY') return;
        }
      } catch (err) {
        update(job.id, { state: 'unknown', detail: (err as Error).message });
        return;
      }
    }
  }

  return { replays, follow, clear: () => setReplays([]) };
}
