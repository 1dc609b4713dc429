// kill -9 loses no accepted event (issue 3, "Processes and durability"): a real `hookrelay serve`
// is SIGKILLed while it delivers, and right after answering 202; a restart on the same database
// delivers everything. Duplicates are allowed only for attempts that were in flight at the kill.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines, ServiceFixture, within, ENDPOINT_CONCURRENCY } from './helpers/processes.ts';

const N = 300;
const RECEIVER_DELAY_MS = 30;

for (const engine of engines) {
  describe(`crash recovery (${engine})`, () => {
    let f: ServiceFixture;
    let published = 0;

    before(async () => {
      f = await ServiceFixture.start(engine, { receiverDelayMs: RECEIVER_DELAY_MS, webhook: 'crash-target' });
    });

    after(async () => {
      await f?.close();
    });

    test(`kill -9 while delivering ${N} events, restart: every event delivered, none lost`, async (t) => {
      const t0 = Date.now();
      let killedAt = 0;
      let arrivalsAtKill = 0;
      const victim = f.svc;
      // Kill from inside the receiver, synchronously, once a third has arrived: deliveries are
      // certainly in flight (the receiver holds them RECEIVER_DELAY_MS) and most are not done.
      f.receiver.onArrival = () => {
        if (killedAt || f.receiver.arrivals.length < N / 3) return;
        killedAt = Date.now();
        arrivalsAtKill = f.receiver.arrivals.length;
        victim.child.kill('SIGKILL');
      };
      const ids = await f.api.publish(N, 0, N); // one batch: a single 202 before the kill
      published += N;
      const exit = await within(victim.exited, 20_000);
      assert.ok(exit, `the service was not killed within 20 s (arrivals: ${f.receiver.arrivals.length})\n${f.cluster.logs()}`);
      assert.equal(exit.signal, 'SIGKILL');
      f.receiver.onArrival = null;
      const atKill = await f.probe!.statusCounts();
      const notYet = f.receiver.stats(ids).missing.length;
      assert.ok(notYet > 0, 'the kill came after every event had already arrived: nothing was tested');

      const restartedAt = Date.now();
      await f.restart('serve-2');
      await f.probe!.waitAllSuccess(published, 40_000, () => f.cluster.logs());
      const elapsed = Date.now() - t0;

      const s = f.receiver.stats(ids);
      assert.deepEqual(s.missing, [], `${s.missing.length} accepted events never reached the receiver`);
      // Only deliveries in flight at the kill may repeat, and each at most once more.
      const repeated = [...f.receiver.counts].filter(([id, n]) => n > 1 && ids.includes(id));
      for (const [id, n] of repeated) {
        const first = f.receiver.arrivals.find((a) => a.id === id)!;
        assert.ok(first.at < restartedAt, `event ${id} was delivered twice though the killed process never sent it`);
        assert.equal(n, 2, `event ${id} was delivered ${n} times`);
      }
      const lateArrivals = f.receiver.arrivals.filter((a) => a.at > killedAt && a.at < restartedAt).length;
      assert.ok(s.duplicates <= ENDPOINT_CONCURRENCY, `${s.duplicates} duplicates; at most ${ENDPOINT_CONCURRENCY} attempts were in flight`);
      // Every delivery the receiver saw after the restart left an attempt row (none left unrecorded).
      const attempts = await f.probe!.attemptCount();
      assert.ok(attempts >= N && attempts <= s.total, `attempts ${attempts}, deliveries ${s.total}`);
      const sample = await f.api.eventJobs(ids[N - 1]);
      assert.deepEqual(sample.map((j) => j.status), ['SUCCESS']);
      t.diagnostic(
        `${engine}: N=${N}, killed after ${arrivalsAtKill} arrivals (${notYet} not yet received; jobs at kill ${JSON.stringify(atKill)}), ` +
          `${lateArrivals} more arrived between kill() and exit, deliveries=${s.total}, duplicates=${s.duplicates}, attempts=${attempts}, all SUCCESS ${elapsed} ms after publish`,
      );
    });

    test('kill -9 right after the 202 of a batch publish: the batch is delivered after restart', async (t) => {
      const M = 50;
      const ids = await f.api.publish(M, N, M);
      f.svc.child.kill('SIGKILL');
      await f.svc.exited;
      published += M;
      const early = ids.filter((id) => f.receiver.counts.get(id)).length;
      await f.restart('serve-3');
      await f.probe!.waitAllSuccess(published, 30_000, () => f.cluster.logs());
      const s = f.receiver.stats(ids);
      assert.deepEqual(s.missing, []);
      t.diagnostic(`${engine}: ${M} accepted, ${early} delivered before the kill, all ${M} after restart`);
    });

    test('kill -9 right after the 202 of POST /api/v1/events: the event is delivered after restart', async () => {
      const res = await f.api.call('POST', '/api/v1/events', { type: 'kpi.alert', data: { n: 'single' } });
      f.svc.child.kill('SIGKILL');
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.jobs, 1);
      await f.svc.exited;
      published += 1;
      await f.restart('serve-4');
      await f.probe!.waitAllSuccess(published, 30_000, () => f.cluster.logs());
      assert.ok(f.receiver.counts.get(res.body.id), 'the accepted event never reached the receiver');
      const jobs = await f.api.eventJobs(res.body.id);
      assert.deepEqual(jobs.map((j) => j.status), ['SUCCESS']);
      // Clean stop for the last process: SIGTERM exits 0.
      f.svc.child.kill('SIGTERM');
      assert.equal((await f.svc.exited).code, 0);
    });
  });
}
