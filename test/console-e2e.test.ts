// The web console end to end, in Debian's Chromium: sign in, register a webhook to a loopback
// receiver, Test it and read Delivery History, break the receiver and watch an event reach the
// Dead Letter Queue, Replay and Replay All, preferences, org switch, edit, delete, sign out.
// Screenshots of every page (1280×800 and 390×844) go to test-artifacts/screenshots/.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { consoleSourceHash, CONSOLE_DIR } from '../console/source-hash.ts';
import { launchBrowser, SCREENSHOT_DIR, type BrowserSession } from './helpers/browser.ts';
import { call, startService, type TestService } from './helpers/harness.ts';

interface Hit {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  status: number;
}

/** A webhook endpoint on 127.0.0.1 that answers with `status` and records every request. */
async function startReceiver() {
  const r = { status: 200, hits: [] as Hit[], url: '', close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = r.status;
      r.hits.push({ headers: req.headers, body: Buffer.concat(chunks), status });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'receiver is down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/hookrelay`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

async function eventually<T>(check: () => Promise<T> | T, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const signatureOk = (hit: Hit, secret: string) =>
  hit.headers['x-webhook-signature'] === 'sha256=' + crypto.createHmac('sha256', secret).update(hit.body).digest('hex');

describe('web console (Chromium, sqlite)', { timeout: 240_000 }, () => {
  let svc: TestService;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let b: BrowserSession;
  let page: Page;
  let secret = '';
  const NAME = 'e2e-alerts';

  const publish = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await call(svc.baseUrl, 'POST', '/api/v1/events', { token: svc.adminToken, body: { type: 'kpi.alert', data: { kpi: 'revenue', seq: i } } });
      assert.equal(res.status, 202, res.text);
      ids.push(res.body.id);
    }
    return ids;
  };
  const jobsOf = async (eventId: string) => (await call(svc.baseUrl, 'GET', `/api/v1/events/${eventId}/jobs`, { token: svc.adminToken })).body.jobs as any[];
  const nav = (label: string) => page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: label }).click();
  const heading = (name: string | RegExp) => page.getByRole('heading', { level: 1, name }).waitFor();
  const dlqRows = () => page.locator('table[aria-label="Failed deliveries"] tbody tr');
  /** A step of the journey; on failure the page is saved as FAILED-<n>.png next to the screenshots. */
  let steps = 0;
  let broken = false;
  const step = (name: string, fn: () => Promise<void>) => {
    const n = ++steps;
    it(name, async (t) => {
      if (broken) return t.skip('an earlier step of the journey failed');
      try {
        await fn();
      } catch (err) {
        broken = true;
        await page?.screenshot({ path: path.join(SCREENSHOT_DIR, `FAILED-${String(n).padStart(2, '0')}.png`), fullPage: true }).catch(() => {});
        throw err;
      }
    });
  };

  before(async () => {
    receiver = await startReceiver();
    svc = await startService({
      engine: 'sqlite',
      env: { HOOKRELAY_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32', HOOKRELAY_RETRY_SCHEDULE: '0.2,0.2,0.2', HOOKRELAY_POLL_INTERVAL_MS: '50' },
    });
    fs.rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
    b = await launchBrowser();
    page = b.page;
    console.log(`console e2e screenshots: ${SCREENSHOT_DIR}`);
  });

  after(async () => {
    await b?.close().catch(() => {});
    await svc?.close().catch(() => {});
    await receiver?.close().catch(() => {});
    console.log(`console e2e screenshots: ${SCREENSHOT_DIR}`);
  });

  it('serves the console at / with cache headers, deep links and JSON 404s under /api', async () => {
    const index = await fetch(`${svc.baseUrl}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html references a hashed script');
    const js = await fetch(svc.baseUrl + asset);
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const deep = await fetch(`${svc.baseUrl}/settings/webhooks/abc/history`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html);
    const api404 = await fetch(`${svc.baseUrl}/api/v1/no-such-thing`);
    assert.equal(api404.status, 404);
    assert.equal((await api404.json()).error.code, 'NOT_FOUND');
    assert.equal((await fetch(`${svc.baseUrl}/assets/missing-file.js`)).status, 404);
  });

  it('committed console/dist was built from the current console sources', () => {
    const built = fs.readFileSync(path.join(CONSOLE_DIR, 'dist', '.source-hash'), 'utf8').trim();
    assert.equal(built, consoleSourceHash(), 'console/dist is stale: run `npm run build:console` and commit console/dist');
  });

  step('signs in with the keyboard', async () => {
    await page.goto(`${svc.baseUrl}/`);
    await heading('Sign in to the console');
    await b.screenshot('01-sign-in');
    await page.getByLabel('Username').fill(svc.adminUsername);
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong-password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: /401/ }).waitFor();
    await b.screenshot('02-sign-in-error');
    await page.getByLabel('Password').fill(svc.adminPassword);
    await page.getByLabel('Password').press('Enter');
    await heading('Manage Webhooks');
    await page.getByText('No webhooks yet').waitFor();
    await b.screenshot('03-webhooks-empty');
  });

  step('rejects a cookie-authenticated change without the CSRF header', async () => {
    const status = await page.evaluate(async () => (await fetch('/api/v1/dlq/replay-all', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    assert.equal(status, 403);
  });

  step('registers a webhook; server validation errors appear next to their field', async () => {
    await page.getByRole('link', { name: 'Register Webhook' }).first().click();
    await heading('Register Webhook');
    await b.screenshot('04-register-empty');
    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('URL', { exact: true }).fill('not a url');
    await page.getByRole('checkbox', { name: /kpi\.alert/ }).check();
    await page.getByRole('button', { name: 'Create' }).click();
    const urlError = page.locator('#f-url-error');
    await urlError.waitFor();
    assert.match((await urlError.textContent()) ?? '', /spaces|absolute http/);
    assert.equal(await page.getByLabel('URL', { exact: true }).getAttribute('aria-invalid'), 'true');
    assert.ok(await page.getByLabel('URL', { exact: true }).evaluate((el) => el === document.activeElement), 'focus moves to the field in error');
    await b.screenshot('05-register-url-error');

    await page.getByLabel('URL', { exact: true }).fill(receiver.url);
    await page.getByRole('button', { name: '+ Add header' }).click();
    await page.getByLabel('Header 1 name').fill('Content-Type');
    await page.getByLabel('Header 1 value').fill('text/plain');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    secret = ((await page.getByTestId('generated-secret').textContent()) ?? '').trim();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.equal(Buffer.from(secret.slice(6), 'base64').length, 24);
    await page.getByLabel('Authentication type').selectOption('API_KEY');
    await page.getByLabel('Header name', { exact: true }).fill('X-Api-Key');
    await page.getByLabel('API key', { exact: true }).fill('key-123');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('.header-row .field-error', { hasText: /must not override the header "Content-Type"/i }).waitFor();
    await b.screenshot('06-register-header-error');

    await page.getByRole('button', { name: 'Remove header 1' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    await heading('Manage Webhooks');
    await page.getByText(`Registered webhook “${NAME}”`).waitFor();
    await page.locator('tr', { hasText: NAME }).getByText('No deliveries yet').waitFor();
  });

  step('Test delivers, and the attempt shows in Delivery History with status code and time', async () => {
    await page.getByRole('button', { name: `Test ${NAME}` }).click();
    await page.getByText(`Test event delivered to “${NAME}”: HTTP 200`).waitFor();
    const row = page.locator('tr', { hasText: NAME });
    await row.getByText('Healthy').waitFor();
    await row.locator('.badge-ok', { hasText: '200' }).waitFor();
    await b.screenshot('07-webhooks-after-test');
    const hit = receiver.hits.at(-1)!;
    assert.equal(hit.headers['x-api-key'], 'key-123');
    assert.ok(signatureOk(hit, secret), 'X-Webhook-Signature is the HMAC of the body under the generated secret');

    await page.getByRole('link', { name: `Delivery History of ${NAME}` }).click();
    await heading(/Delivery History/);
    const attempt = page.locator('table.history tbody tr.row-ok').first();
    await attempt.locator('.badge-ok', { hasText: '200' }).waitFor();
    assert.ok(await attempt.locator('time').getAttribute('datetime'));
    assert.match((await attempt.locator('td[data-label="Response time"]').textContent()) ?? '', /\d+(\.\d+)? m?s/);
    await attempt.getByRole('button', { name: 'Details' }).click();
    const details = page.locator('tr.detail-row').first();
    await details.getByRole('rowheader', { name: /x-api-key/i }).waitFor();
    assert.match((await details.textContent()) ?? '', /\*\*\*\*\*\*/, 'the API key is masked in the request headers');
    assert.doesNotMatch((await details.textContent()) ?? '', /key-123/);
    await details.locator('pre', { hasText: 'ok' }).waitFor();
    await b.screenshot('08-delivery-history');
  });

  step('a failing event reaches the Dead Letter Queue; Replay delivers it once fixed', async () => {
    receiver.status = 500;
    const [eventId] = await publish(1);
    await nav('Dead Letter Queue');
    await heading('Dead Letter Queue');
    const row = dlqRows().filter({ hasText: 'kpi.alert' });
    await row.first().waitFor({ timeout: 25_000 });
    assert.equal(await dlqRows().count(), 1);
    assert.match((await row.locator('td[data-label="Last error"]').textContent()) ?? '', /500/);
    assert.ok(Number(await row.locator('td[data-label="Tries"]').textContent()) >= 2, 'retried before giving up');
    await b.screenshot('09-dead-letter-queue');

    receiver.status = 200;
    await row.getByRole('button', { name: new RegExp(`^Replay kpi\\.alert event ${eventId.replace(/\./g, '\\.')}`) }).click();
    await page.locator('.replays').getByText('Delivered · HTTP 200').waitFor();
    await page.getByText('The dead letter queue is empty.').waitFor();
    assert.equal((await jobsOf(eventId))[0].status, 'SUCCESS');
    await b.screenshot('10-dlq-after-replay');
  });

  step('Replay All asks first, reports how many were queued, and they are delivered', async () => {
    receiver.status = 500;
    const ids = await publish(3);
    await page.locator('p.count', { hasText: '3 failed deliveries' }).waitFor({ timeout: 25_000 });
    await b.screenshot('11-dlq-several');
    receiver.status = 200;
    await page.getByRole('button', { name: 'Replay All' }).click();
    const dialog = page.getByRole('dialog', { name: 'Replay all failed deliveries?' });
    await dialog.waitFor();
    await b.screenshot('12-replay-all-confirm');
    await dialog.getByRole('button', { name: 'Replay 3 events' }).click();
    await page.getByText('Replay All queued 3 events for delivery.').waitFor();
    await page.getByText('The dead letter queue is empty.').waitFor();
    for (const id of ids) await eventually(async () => (await jobsOf(id))[0]?.status === 'SUCCESS', `event ${id} delivered after Replay All`);
    await b.screenshot('13-dlq-after-replay-all');
  });

  step('Delivery History filters by result and time range, and pages', async () => {
    await nav('Manage Webhooks');
    await page.getByRole('link', { name: `Delivery History of ${NAME}` }).click();
    await heading(/Delivery History/);
    await page.locator('table.history tbody tr.row-fail').first().waitFor();
    await page.getByLabel('Auto-refresh').uncheck();
    const { body } = await call(svc.baseUrl, 'GET', `/api/v1/webhooks/${NAME}/attempts?limit=1`, { token: svc.adminToken });
    const total: number = body.pagination.total;
    if (total > 20) {
      const pager = page.getByRole('navigation', { name: 'Delivery history pages' });
      await pager.getByText(`1–20 of ${total}`).waitFor();
      await pager.getByRole('button', { name: 'Next →' }).click();
      await pager.getByText(`21–${Math.min(40, total)} of ${total}`).waitFor();
      await b.screenshot('14-history-page-2');
      await pager.getByRole('button', { name: '← Previous' }).click();
    }
    await page.getByLabel('Result').selectOption('failure');
    await page.locator('table.history tbody tr.row-fail').first().waitFor();
    await eventually(async () => (await page.locator('table.history tbody tr.row-ok').count()) === 0, 'only failures listed');
    await b.screenshot('15-history-failures');
    await page.getByLabel('Result').selectOption('success');
    await eventually(async () => (await page.locator('table.history tbody tr.row-fail').count()) === 0 && (await page.locator('table.history tbody tr.row-ok').count()) > 0, 'only successes listed');
    await page.getByLabel('Time range').selectOption('custom');
    await page.getByLabel('From').fill('2999-01-01T00:00');
    await page.getByText('No attempts match these filters.').waitFor();
    await b.screenshot('16-history-no-match');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.locator('table.history tbody tr.row-fail').first().waitFor();
  });

  step("a long Delivery History's pager says the count stopped (10,000+) and still pages", async () => {
    // 10,000 older attempts written straight to the service's SQLite file (WAL: the service's
    // connection reads them at once); without the job state, so only the attempts list shows them.
    const hooks = (await call(svc.baseUrl, 'GET', '/api/v1/webhooks', { token: svc.adminToken })).body.webhooks as { id: string; name: string }[];
    const hook = hooks.find((w) => w.name === NAME)!;
    const raw = new Database(svc.databaseUrl);
    const insert = raw.prepare(`INSERT INTO attempts (id, job_id, event_id, webhook_id, org_id, attempt_no, started_at, duration_ms, status_code, success, request_headers)
      VALUES (?, ?, ?, ?, 0, 1, ?, 4, 204, 1, '{}')`);
    const old = Date.parse('2020-01-01T00:00:00Z');
    raw.transaction(() => {
      for (let i = 0; i < 10_000; i++) insert.run(`old-${i}`, `n.old-${i}.0`, `n.old-${i}`, hook.id, old + i * 1000);
    })();
    raw.close();
    const { body } = await call(svc.baseUrl, 'GET', `/api/v1/webhooks/${NAME}/attempts?limit=20`, { token: svc.adminToken });
    assert.deepEqual([body.pagination.total, body.pagination.total_exact, body.pagination.has_more], [10_000, false, true]);
    await page.reload();
    await heading(/Delivery History/);
    const pager = page.getByRole('navigation', { name: 'Delivery history pages' });
    await pager.getByText('1–20 of 10,000+').waitFor();
    await pager.getByRole('button', { name: 'Next →' }).click();
    await pager.getByText('21–40 of 10,000+').waitFor();
    await b.screenshot('16b-history-capped-count');
    const last = (await call(svc.baseUrl, 'GET', `/api/v1/webhooks/${NAME}/attempts?limit=1000&offset=10000`, { token: svc.adminToken })).body;
    assert.equal(last.pagination.total_exact, true, 'counted to the end past the cap when the page is there');
    assert.equal(last.pagination.has_more, false);
  });

  step('administrators set channel preferences for the cluster and per org', async () => {
    await nav('Channel Preferences');
    await heading('Channel Preferences');
    await page.locator('#cluster-LIVEBOARD_SCHEDULE-WEBHOOK').check();
    await page.getByRole('button', { name: 'Save cluster default' }).click();
    await page.getByText('Saved the cluster default.').waitFor();
    const orgRow = page.locator('li.org-pref').first();
    await orgRow.getByLabel('Use cluster default').uncheck();
    await orgRow.getByRole('checkbox', { name: 'Email' }).uncheck();
    await orgRow.getByRole('button', { name: /^Save preferences of/ }).click();
    await orgRow.getByText('Saved').waitFor();
    await orgRow.getByText('Now: Webhook', { exact: true }).waitFor();
    const prefs = await call(svc.baseUrl, 'POST', '/api/rest/2.0/system/preferences/communication-channels/search', { token: svc.adminToken, body: {} });
    assert.deepEqual(prefs.body.cluster_preferences, [{ event_type: 'LIVEBOARD_SCHEDULE', channels: ['EMAIL', 'WEBHOOK'] }]);
    assert.deepEqual(prefs.body.org_preferences[0].preferences, [{ event_type: 'LIVEBOARD_SCHEDULE', channels: ['WEBHOOK'] }]);
    await b.screenshot('17-channel-preferences');
  });

  step('switches org and back', async () => {
    const created = await call(svc.baseUrl, 'POST', '/api/rest/2.0/orgs/create', { token: svc.adminToken, body: { name: 'Analytics Team' } });
    assert.equal(created.status, 200, created.text);
    await nav('Manage Webhooks');
    await page.reload();
    const select = page.getByLabel('Org', { exact: true });
    const home = await select.inputValue();
    await select.selectOption({ label: 'Analytics Team' });
    await page.getByText('No webhooks yet').waitFor();
    await b.screenshot('18-other-org');
    await page.getByLabel('Org', { exact: true }).selectOption(home);
    await page.locator('tr', { hasText: NAME }).waitFor();
  });

  step('a tab left on one org does nothing once another tab switched the session to another org', async () => {
    // Tab 1 shows the home org's Register Webhook form; tab 2 switches the session's org.
    await page.getByRole('link', { name: 'Register Webhook' }).first().click();
    await heading('Register Webhook');
    await page.getByLabel('Name', { exact: true }).fill('stale-tab-hook');
    await page.getByLabel('URL', { exact: true }).fill(receiver.url);
    await page.getByRole('checkbox', { name: /kpi\.alert/ }).check();
    const other = await page.context().newPage();
    await other.goto(`${svc.baseUrl}/settings/webhooks`);
    const select = other.getByLabel('Org', { exact: true });
    const home = await select.inputValue();
    await select.selectOption({ label: 'Analytics Team' });
    await other.getByText('No webhooks yet').waitFor();
    // It was created in Analytics Team, the org tab 2 had switched to.
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByText(/The session changed in another tab/).waitFor();
    await b.screenshot('18b-stale-tab-refused');
    const orgs = (await call(svc.baseUrl, 'POST', '/api/rest/2.0/orgs/search', { token: svc.adminToken, body: {} })).body as { id: number; name: string }[];
    const analytics = orgs.find((o) => o.name === 'Analytics Team')!;
    for (const org of [analytics.id, Number(home)]) {
      const found = await call(svc.baseUrl, 'POST', '/api/rest/2.0/webhooks/search', { token: svc.adminToken, body: { org_identifier: String(org) } });
      assert.ok(!found.body.webhooks.some((w: { name: string }) => w.name === 'stale-tab-hook'), `created in org ${org}`);
    }
    await other.getByLabel('Org', { exact: true }).selectOption(home);
    // Closed only once the switch back is done (closing could cut its request short).
    await other.locator('tr', { hasText: NAME }).waitFor();
    await other.close();
    await page.goto(`${svc.baseUrl}/settings/webhooks`);
    await page.locator('tr', { hasText: NAME }).waitFor();
  });

  step('edits a webhook keeping its stored secrets', async () => {
    await page.getByRole('link', { name: `Edit ${NAME}` }).click();
    await heading(`Edit “${NAME}”`);
    await page.getByText('A signing secret is stored.').waitFor();
    assert.equal(await page.getByLabel('URL', { exact: true }).inputValue(), receiver.url);
    await page.getByLabel('Description').fill('Pages the on-call analyst');
    await b.screenshot('19-edit-webhook');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`Saved webhook “${NAME}”.`).waitFor();
    await page.getByText('Pages the on-call analyst').waitFor();
    const before = receiver.hits.length;
    await page.getByRole('button', { name: `Test ${NAME}` }).click();
    await page.getByText(`Test event delivered to “${NAME}”: HTTP 200`).waitFor();
    const hit = receiver.hits[before];
    assert.equal(hit.headers['x-api-key'], 'key-123', 'the masked API key was kept');
    assert.ok(signatureOk(hit, secret), 'the masked signing secret was kept');
  });

  step('deletes a webhook after confirmation', async () => {
    await page.getByRole('button', { name: `Delete ${NAME}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete webhook?' });
    await dialog.waitFor();
    await b.screenshot('20-delete-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await page.locator('tr', { hasText: NAME }).count(), 1, 'Cancel keeps the webhook');
    await page.getByRole('button', { name: `Delete ${NAME}` }).click();
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByText(`Deleted webhook “${NAME}”.`).waitFor();
    await page.getByText('No webhooks yet').waitFor();
    const list = await call(svc.baseUrl, 'GET', '/api/v1/webhooks', { token: svc.adminToken });
    assert.equal(list.body.webhooks.length, 0);
    await b.screenshot('21-after-delete');
  });

  step('lists webhooks in pages of 100', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 101; i++) {
      const res = await call(svc.baseUrl, 'POST', '/api/rest/2.0/webhooks/create', { token: svc.adminToken, body: { name: `page-${String(i).padStart(3, '0')}`, url: receiver.url, events: ['kpi.computed'] } });
      assert.equal(res.status, 200, res.text);
      ids.push(res.body.id);
    }
    await page.reload();
    const pager = page.getByRole('navigation', { name: 'Webhook pages' });
    await pager.getByText('1–100 of 101').waitFor();
    assert.equal(await page.locator('table.webhooks tbody tr').count(), 100);
    await pager.getByRole('button', { name: 'Next →' }).click();
    await pager.getByText('101–101 of 101').waitFor();
    await page.locator('tr', { hasText: 'page-100' }).waitFor();
    await b.screenshot('21b-webhook-pages');
    assert.equal((await call(svc.baseUrl, 'POST', '/api/rest/2.0/webhooks/delete', { token: svc.adminToken, body: { webhook_identifiers: ids } })).status, 200);
  });

  step('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading('Sign in to the console');
    await page.getByText('You have signed out.').waitFor();
    const status = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
    assert.equal(status, 401);
    assert.deepEqual(b.problems, [], 'no script errors in the page');
  });
});
