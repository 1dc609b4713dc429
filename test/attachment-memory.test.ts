// Attachments in memory: deliveries with files take turns within HOOKRELAY_ATTACHMENT_MEMORY_MB
// (each counted twice: the files and the request made of them), and multipart publishes read
// within as much again. Without it, 24 MB files held once per attempt in flight took the process
// to 1.1-4.9 GB (attachment fuzzing, 2026-12-07).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { engines, type TestService } from './helpers/harness.ts';
import { startWithApi, stopWithApi, type Api } from './helpers/receiver.ts';

const MB = 1024 * 1024;

for (const engine of engines) {
  describe(`attachments in memory (${engine})`, () => {
    let svc: TestService;
    let api: Api;
    let server: http.Server;
    let url = '';
    let inFlight = 0;
    let most = 0;
    const received: string[] = [];

    before(async () => {
      // 16 MB: a delivery of a 3 MB file counts 6 MB, so two at a time.
      ({ svc, api } = await startWithApi(engine, { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', HOOKRELAY_ATTACHMENT_MEMORY_MB: '16' }));
      server = http.createServer((req, res) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const chunks: Buffer[] = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          received.push(String(req.headers['webhook-id']));
          // Slow enough that every delivery would be in flight at once without the budget.
          setTimeout(() => {
            inFlight--;
            res.writeHead(204).end();
          }, 300);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    });
    after(async () => {
      server?.closeAllConnections();
      server?.close();
      await stopWithApi(svc, api);
    });

    test('deliveries with files take turns within the budget; publishes read at once wait theirs; every one arrives', async () => {
      await api.webhook(url, { events: ['kpi.alert'] });
      const publish = async (size: number) => {
        const form = new FormData();
        form.append('event', JSON.stringify({ type: 'kpi.alert', data: {} }));
        form.append('file', new Blob([new Uint8Array(crypto.randomBytes(size))], { type: 'text/csv' }), 'big.csv');
        const res = await fetch(`${api.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
        assert.equal(res.status, 202, await res.clone().text());
        return ((await res.json()) as { id: string }).id;
      };
      // Four publishes of 6 MB at once each count 2 x (6 + 1) MB of the 16: read one at a time.
      const ids = [...(await Promise.all(Array.from({ length: 4 }, () => publish(6 * MB)))), ...(await Promise.all(Array.from({ length: 4 }, () => publish(3 * MB))))];
      for (const id of ids) {
        const [job] = await api.settled(id, 1, 60_000);
        assert.equal(job.status, 'SUCCESS', job.detail);
        assert.equal(job.try_count, 1, 'waiting for memory is not an attempt');
      }
      assert.deepEqual(new Set(received), new Set(ids));
      assert.ok(most <= 2, `${most} deliveries with files in flight at once; the budget allows 2`);
      assert.ok(most >= 1);
    });
  });
}

describe('a stalled upload', () => {
  let svc: TestService;
  let api: Api;
  before(async () => {
    ({ svc, api } = await startWithApi('sqlite', { HOOKRELAY_ATTACHMENT_MEMORY_MB: '16', HOOKRELAY_CLIENT_IDLE_TIMEOUT_MS: '1000' }));
  });
  after(async () => {
    await stopWithApi(svc, api);
  });

  test('is cut off after the idle timeout, and its memory goes back: the next publish is read at once', async () => {
    // A Content-Length of 20 MB takes the whole budget; the client sends 1 KB of it, then nothing.
    // The connection stayed open and every multipart publish waited 30 s, then got a 503 (fuzzing).
    const { port } = new URL(api.baseUrl);
    const closed = new Promise<number>((resolve, reject) => {
      const started = Date.now();
      const s = net.connect(Number(port), '127.0.0.1', () => {
        s.write(`POST /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.token}\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: ${20 * MB}\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n${'x'.repeat(1024)}`);
      });
      s.on('data', () => undefined);
      s.on('close', () => resolve(Date.now() - started));
      s.on('error', reject);
      setTimeout(() => reject(new Error('the stalled connection is still open after 10 s')), 10_000).unref();
    });
    await new Promise((r) => setTimeout(r, 200));
    const form = new FormData();
    form.append('event', JSON.stringify({ type: 'kpi.alert', data: {} }));
    form.append('file', new Blob([new Uint8Array(1000)], { type: 'text/csv' }), 'small.csv');
    const started = Date.now();
    const res = await fetch(`${api.baseUrl}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${api.token}` }, body: form });
    assert.equal(res.status, 202, await res.text());
    assert.ok(Date.now() - started < 5000, `the publish waited ${Date.now() - started} ms`);
    assert.ok((await closed) < 5000);
  });
});
