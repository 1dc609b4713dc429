// Three `hookrelay worker` processes and one `hookrelay serve --no-worker` share one PostgreSQL
// queue: the event log's lanes are shared out among the workers (src/store/postgres/log-store.ts),
// each webhook's first attempts coming from the one worker reading its lane. Every event is
// delivered, exactly once while no worker dies; when the worker delivering is SIGKILLed mid-way
// another takes its lanes over at once and the only duplicates are deliveries it had in flight.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Api, Cluster, engines, Probe, Receiver, within, waitFor, type Proc, ENDPOINT_CONCURRENCY } from './helpers/processes.ts';

const N = 300;
const RECEIVER_DELAY_MS = 20;

describe('three worker processes on one PostgreSQL', { skip: !engines.includes('postgres') && 'postgres is not in HOOKRELAY_TEST_ENGINES' }, () => {
  let cluster: Cluster;
  let receiver: Receiver;
  let probe: Probe | undefined;
  let apiProc: Proc;
  let api: Api;
  const workers: Proc[] = [];
  let published = 0;
  /** The worker that delivered the first test's events. */
  let holder: Proc | undefined;

  before(async () => {
    cluster = await Cluster.create('postgres');
    receiver = await Receiver.start(RECEIVER_DELAY_MS);
    // The API first: it migrates and creates the administrator, so the workers find both.
    apiProc = await cluster.start('api', 'api');
    api = await Api.login(apiProc.url!);
    await api.createWebhook('shared-target', receiver.url);
    probe = await Probe.open(cluster);
    for (const i of [1, 2, 3]) workers.push(await cluster.start('worker', `worker-${i}`));
    receiver.senders.set(apiProc.pid, 'api');
    for (const w of workers) receiver.senders.set(w.pid, w.name);
    // A worker is up once its pool holds a connection (PGAPPNAME names it).
    await waitFor(() => `three workers connected\n${cluster.logs()}`, 30_000, async () => {
      for (const w of workers) if (!w.alive()) throw new Error(`${w.name} exited\n${w.logs()}`);
      const apps = await probe!.connectedApps();
      return workers.every((w) => apps.includes(`hookrelay-${w.name}`));
    }, 100);
    // Each worker takes its share of the lanes within a second or two of the others' start.
    await waitFor(() => `lanes shared out: ${JSON.stringify(lanes)}\n${cluster.logs()}`, 30_000, async () => {
      lanes = await probe!.laneOwners();
      return lanes.length === 16 && lanes.every((o) => o !== null) && new Set(lanes).size === 3;
    }, 200);
  });
  let lanes: (string | null)[] = [];

  after(async () => {
    if (receiver) receiver.onArrival = null;
    await probe?.close().catch(() => undefined);
    await cluster?.destroy();
    await receiver?.close();
  });

  test(`${N} events, no worker killed: each delivered exactly once`, async (t) => {
    const t0 = Date.now();
    const ids = await api.publish(N);
    published += N;
    await probe!.waitAllSuccess(published, 40_000, () => cluster.logs());
    const elapsed = Date.now() - t0;
    await receiver.settle();
    const s = receiver.stats(ids);
    assert.deepEqual(s.missing, []);
    if (s.duplicates) {
      const dup = [...receiver.counts].filter(([id, n]) => n > 1 && ids.includes(id)).map(([id]) => id);
      const rows = (await probe!.attemptsOf(dup)).map((r) => `${r.event_id} #${r.attempt_no} +${Number(r.started_at) - t0}ms ${r.duration_ms}ms HTTP ${r.status_code}`);
      assert.fail(`${s.duplicates} duplicates without any crash:\n${receiver.repeats(ids, t0)}\nattempt rows:\n${rows.join('\n')}\n${cluster.logs()}`);
    }
    assert.equal(await probe!.attemptCount(), N, 'one attempt row per delivery');
    const share = receiver.bySender(ids);
    assert.equal(share.api ?? 0, 0, 'serve --no-worker delivered');
    // When /proc let us attribute the connections: the one worker reading the webhook's lane.
    const attributed = s.total - (share['?'] ?? 0);
    const senders = Object.keys(share).filter((name) => name !== '?' && share[name] > 0);
    if (attributed >= s.total * 0.9) {
      assert.equal(senders.length, 1, `one webhook's first attempts come from one worker: ${JSON.stringify(share)}`);
      holder = workers.find((w) => w.name === senders[0]);
    }
    t.diagnostic(`N=${N}: deliveries=${s.total}, duplicates=${s.duplicates}, per process ${JSON.stringify(share)}, all SUCCESS ${elapsed} ms after the first publish`);
  });

  test(`${N} events, one worker SIGKILLed mid-way: every event delivered, duplicates only from its in-flight attempts`, async (t) => {
    // The worker that reads the webhook's lane (if /proc told), so that the kill interrupts deliveries.
    const victim = holder ?? workers[0];
    const base = receiver.arrivals.length;
    let killedAt = 0;
    let arrivalsAtKill = 0;
    // Once a third has arrived, kill the victim on its next delivery: it then has attempts in flight.
    // (By two thirds it is killed whatever sent the delivery, so the test cannot stall.)
    const kill = () => {
      if (killedAt) return;
      killedAt = Date.now();
      arrivalsAtKill = receiver.arrivals.length - base;
      victim.child.kill('SIGKILL');
    };
    receiver.onArrival = (a) => {
      const seen = receiver.arrivals.length - base;
      if (killedAt || seen < N / 3) return;
      if (seen >= (2 * N) / 3) return kill();
      void receiver.whoSent(a).then((from) => from === victim.name && kill());
    };
    const t0 = Date.now();
    const ids = await api.publish(N, N, N);
    published += N;
    const exit = await within(victim.exited, 20_000);
    assert.ok(exit, `${victim.name} was not killed within 20 s`);
    assert.equal(exit.signal, 'SIGKILL');
    receiver.onArrival = null;
    const missingAtKill = receiver.stats(ids).missing.length;
    assert.ok(missingAtKill > 0, 'every event had arrived before the kill: nothing was tested');
    await probe!.waitAllSuccess(published, 40_000, () => cluster.logs());
    const elapsed = Date.now() - t0;
    await receiver.settle();

    const s = receiver.stats(ids);
    assert.deepEqual(s.missing, []);
    const repeated = [...receiver.counts].filter(([id, n]) => n > 1 && ids.includes(id));
    const byVictim = receiver.bySender(ids)[victim.name] ?? 0;
    for (const [id, n] of repeated) {
      assert.equal(n, 2, `event ${id} was delivered ${n} times`);
      const first = receiver.arrivals.find((a) => a.id === id)!;
      if (first.from !== undefined) assert.equal(first.from, victim.name, `event ${id} repeated, first sent by ${first.from}`);
      else assert.ok(first.at <= exit.at + 500, `event ${id} was first delivered after ${victim.name} died, yet delivered twice`);
    }
    assert.ok(s.duplicates <= ENDPOINT_CONCURRENCY, `${s.duplicates} duplicates; ${victim.name} had at most ${ENDPOINT_CONCURRENCY} attempts in flight`);
    for (const w of workers.filter((x) => x !== victim)) assert.ok(w.alive(), `${w.name} died`);
    t.diagnostic(
      `N=${N}: killed ${victim.name} after ${arrivalsAtKill} arrivals (${missingAtKill} not yet received; it had sent ${byVictim}), ` +
        `deliveries=${s.total}, duplicates=${s.duplicates}, per process ${JSON.stringify(receiver.bySender(ids))}, all SUCCESS ${elapsed} ms after publish`,
    );
  });
});
