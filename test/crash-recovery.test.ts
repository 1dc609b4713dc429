// kill -9 loses no accepted event (issue 3, "Processes and durability"): a real `hookrelay serve`
// is SIGKILLed while it delivers, and right after answering 202; a restart on the same database
// delivers everything. Duplicates are allowed only for attempts that were in flight at the kill.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, Cluster, engines, Probe, Receiver, within, type Proc, ENDPOINT_CONCURRENCY } from './helpers/processes.ts';

const N = 300;
const RECEIVER_DELAY_MS = 30;

for (const engine of engines) {
  describe(`crash recovery (${engine})`, () => {
    let cluster: Cluster;
    let receiver: Receiver;
    let probe: Probe | undefined;
    let svc: Proc;
    let api: Api;
    let published = 0;

    before(async () => {
      cluster = await Cluster.create(engine);
      receiver = await Receiver.start(RECEIVER_DELAY_MS);
      svc = await cluster.start('serve', 'serve-1');
      probe = await Probe.open(cluster);
      api = await Api.login(svc.url!);
      await api.createWebhook('crash-target', receiver.url);
    });

    after(async () => {
      if (receiver) receiver.onArrival = null;
      await probe?.close().catch(() => undefined);
      await cluster?.destroy();
      await receiver?.close();
    });

    const restart = async (name: string) => {
      svc = await cluster.start('serve', name);
      api = await Api.login(svc.url!);
    };

    test(`kill -9 while delivering ${N} events, restart: every event delivered, none lost`, async (t) => {
      const t0 = Date.now();
      let killedAt = 0;
      let arrivalsAtKill = 0;
      const victim = svc;
      // Kill from inside the receiver, synchronously, once a third has arrived: deliveries are
      // certainly in flight (the receiver holds them RECEIVER_DELAY_MS) and most are not done.
      receiver.onArrival = () => {
        if (killedAt || receiver.arrivals.length < N / 3) return;
        killedAt = Date.now();
        arrivalsAtKill = receiver.arrivals.length;
        victim.child.kill('SIGKILL');
      };
      const ids = await api.publish(N, 0, N); // one batch: a single 202 before the kill
      published += N;
      const exit = await within(victim.exited, 20_000);
      assert.ok(exit, `the service was not killed within 20 s (arrivals: ${receiver.arrivals.length})\n${cluster.logs()}`);
      assert.equal(exit.signal, 'SIGKILL');
      receiver.onArrival = null;
      const atKill = await probe!.statusCounts();
      const notYet = receiver.stats(ids).missing.length;
      assert.ok(notYet > 0, 'the kill came after every event had already arrived: nothing was tested');

      const restartedAt = Date.now();
      await restart('serve-2');
      await probe!.waitAllSuccess(published, 40_000, () => cluster.logs());
      const elapsed = Date.now() - t0;

      const s = receiver.stats(ids);
      assert.deepEqual(s.missing, [], `${s.missing.length} accepted events never reached the receiver`);
      // Only deliveries in flight at the kill may repeat, and each at most once more.
      const repeated = [...receiver.counts].filter(([id, n]) => n > 1 && ids.includes(id));
      for (const [id, n] of repeated) {
        const first = receiver.arrivals.find((a) => a.id === id)!;
        assert.ok(first.at < restartedAt, `event ${id} was delivered twice though the killed process never sent it`);
        assert.equal(n, 2, `event ${id} was delivered ${n} times`);
      }
      const lateArrivals = receiver.arrivals.filter((a) => a.at > killedAt && a.at < restartedAt).length;
      assert.ok(s.duplicates <= ENDPOINT_CONCURRENCY, `${s.duplicates} duplicates; at most ${ENDPOINT_CONCURRENCY} attempts were in flight`);
      // Every delivery the receiver saw after the restart left an attempt row (none left unrecorded).
      const attempts = await probe!.attemptCount();
      assert.ok(attempts >= N && attempts <= s.total, `attempts ${attempts}, deliveries ${s.total}`);
      const sample = await api.eventJobs(ids[N - 1]);
      assert.deepEqual(sample.map((j) => j.status), ['SUCCESS']);
      t.diagnostic(
        `${engine}: N=${N}, killed after ${arrivalsAtKill} arrivals (${notYet} not yet received; jobs at kill ${JSON.stringify(atKill)}), ` +
          `${lateArrivals} more arrived between kill() and exit, deliveries=${s.total}, duplicates=${s.duplicates}, attempts=${attempts}, all SUCCESS ${elapsed} ms after publish`,
      );
    });

    test('kill -9 right after the 202 of a batch publish: the batch is delivered after restart', async (t) => {
      const M = 50;
      const ids = await api.publish(M, N, M);
      svc.child.kill('SIGKILL');
      await svc.exited;
      published += M;
      const early = ids.filter((id) => receiver.counts.get(id)).length;
      await restart('serve-3');
      await probe!.waitAllSuccess(published, 30_000, () => cluster.logs());
      const s = receiver.stats(ids);
      assert.deepEqual(s.missing, []);
      t.diagnostic(`${engine}: ${M} accepted, ${early} delivered before the kill, all ${M} after restart`);
    });

    test('kill -9 right after the 202 of POST /api/v1/events: the event is delivered after restart', async () => {
      const res = await api.call('POST', '/api/v1/events', { type: 'kpi.alert', data: { n: 'single' } });
      svc.child.kill('SIGKILL');
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.equal(res.body.jobs, 1);
      await svc.exited;
      published += 1;
      await restart('serve-4');
      await probe!.waitAllSuccess(published, 30_000, () => cluster.logs());
      assert.ok(receiver.counts.get(res.body.id), 'the accepted event never reached the receiver');
      const jobs = await api.eventJobs(res.body.id);
      assert.deepEqual(jobs.map((j) => j.status), ['SUCCESS']);
      // Clean stop for the last process: SIGTERM exits 0.
      svc.child.kill('SIGTERM');
      assert.equal((await svc.exited).code, 0);
    });
  });
}
