// The admin-port dashboard in a real browser: headless Chromium against a real control plane, data
// plane and backends. Checks what an operator sees: both backends listed, counts rising without a
// reload, a killed backend shown unhealthy within the health-check bound, a usable page with
// JavaScript off and on a phone-width screen, and no request to anything but the admin port.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startFakeBackend, type FakeBackend } from '../fakes/fake-backend.js';
import { request, startCluster, waitFor, type Cluster } from '../helpers/cluster.js';
import { steadyLoad } from '../kit/steady-load.js';

const CHROMIUM = process.env.GOLB_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts');
const INTERVAL_MS = 500;
const FALL = 2;
/** The page polls once a second. */
const POLL_MS = 1000;

/**
 * Requests through the data plane from two clients until stopped (or two minutes: longer than the
 * tests it runs under). A request to the backend killed on purpose may fail before the health
 * check notices, so failures are not asserted here.
 */
const pagedLoad = (port: number) => steadyLoad(() => request(port, '/load'), { clients: 2, pauseMs: 10, maxMs: 120_000 });

const toInt = (text: string | null) => Number((text ?? '').replace(/[^0-9.]/g, ''));

describe('admin dashboard in headless Chromium', () => {
  before(() => assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`));
  let backends: FakeBackend[];
  let cluster: Cluster;
  let browser: Browser;
  let origin: string;
  const contexts: BrowserContext[] = [];
  const requested: string[] = [];
  const consoleErrors: string[] = [];
  let load: ReturnType<typeof pagedLoad> | undefined;
  /** The page opened in the live test and kept open: it must follow everything without a reload. */
  let live: Page;
  let navigations = 0;
  const config = (list: FakeBackend[]) =>
    `method round_robin\nhealth_check path=/health interval=${INTERVAL_MS}ms fall=${FALL} rise=2 timeout=300ms\n` +
    list.map((b) => `backend ${b.url}`).join('\n') + '\n';

  const open = async (options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, ...options });
    contexts.push(context);
    context.on('request', (r) => requested.push(r.url()));
    const page = await context.newPage();
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    return page;
  };
  const assertNotReloaded = async () => {
    assert.equal(await live.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was never reloaded');
    assert.equal(navigations, 1, 'one navigation only');
  };
  const chartPoints = async (page: Page, b: FakeBackend) =>
    ((await row(page, b).locator('svg.chart polyline.rps').getAttribute('points')) ?? '').trim().split(/\s+/).filter(Boolean);
  const row = (page: Page, b: FakeBackend) => page.locator(`tr[data-url="${b.url}"]`);
  const cell = (page: Page, b: FakeBackend, col: string) => row(page, b).locator(`td[data-col="${col}"]`).textContent();

  before(async () => {
    backends = await Promise.all([1, 2].map((i) => startFakeBackend({ name: `d${i}` })));
    cluster = await startCluster(config(backends));
    origin = `http://127.0.0.1:${cluster.cp.adminPort}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // Both backends healthy on the data plane before the page is first looked at.
    await waitFor('both backends healthy', async () => {
      const s = (await (await fetch(`${origin}/api/stats`)).json()) as { backends: Array<{ healthyOn: number }> };
      return s.backends.length === 2 && s.backends.every((b) => b.healthyOn === 1);
    });
  });

  after(async () => {
    await load?.stop();
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await cluster?.close();
    await Promise.all((backends ?? []).map((b) => b.close()));
  });

  it('renders the fleet as plain tables with JavaScript off, under a strict CSP', { timeout: 15_000 }, async () => {
    const page = await open({ javaScriptEnabled: false });
    const res = await page.goto(`${origin}/`);
    assert.equal(res?.status(), 200);
    const csp = res!.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /style-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);

    const table = page.locator('table', { has: page.locator('caption', { hasText: 'Pool default' }) });
    assert.equal(await table.count(), 1, 'one table for the pool, captioned');
    assert.deepEqual(await table.locator('thead th[scope="col"]').first().textContent(), 'Backend');
    for (const b of backends) {
      assert.equal(await row(page, b).locator('th[scope="row"]').textContent(), b.url);
      assert.equal(await cell(page, b, 'state'), 'up');
      assert.equal(await cell(page, b, 'healthy'), '1/1');
      assert.equal(await cell(page, b, 'implied'), '50.0%');
      assert.equal(await row(page, b).locator('td[data-col="state"]').getAttribute('class'), 'st st-up', 'state has a colour class as well as text');
    }
    assert.equal(await page.locator('#fleet [data-col="connected"]').textContent(), '1 of 1');
    assert.equal(await page.locator('#fleet [data-col="acked"]').textContent(), '1');
    assert.equal(await page.locator('#fleet [data-col="nacked"]').textContent(), '0');
    assert.equal(await page.locator('#dataplanes td[data-col="ack"]').textContent(), 'ACKED');
    assert.ok(await page.locator('.nojs').isVisible(), 'the page says it is a static snapshot');
    await page.context().close();
  });

  it('updates the counts live, without reloading, and draws the charts', { timeout: 25_000 }, async () => {
    const page = (live = await open());
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations++);
    await page.goto(`${origin}/dashboard`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('Live'));
    assert.ok(!(await page.locator('.nojs').isVisible()), 'the static-snapshot note is hidden when live');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const before = await Promise.all(backends.map(async (b) => toInt(await cell(page, b, 'requests'))));

    const port = cluster.dps[0]!.port;
    for (let i = 0; i < 40; i++) assert.equal((await request(port, `/burst/${i}`)).status, 200);
    // Round robin over two healthy backends: 20 more each, shown once the data plane reports and the page polls.
    await waitFor(
      'the page to show 20 more requests on each backend',
      async () => {
        const now = await Promise.all(backends.map(async (b) => toInt(await cell(page, b, 'requests'))));
        return now.every((n, i) => n === before[i]! + 20);
      },
      10_000,
      100,
    );

    load = pagedLoad(port);
    await waitFor('a requests/s figure for both backends', async () => {
      const rps = await Promise.all(backends.map((b) => cell(page, b, 'rps')));
      return rps.every((r) => r !== '—' && toInt(r) > 0);
    }, 10_000, 100);
    const rising = toInt(await cell(page, backends[0]!, 'requests'));
    await waitFor('the count to keep rising', async () => toInt(await cell(page, backends[0]!, 'requests')) > rising, 10_000, 100);
    assert.notEqual(await page.locator('#fleet [data-col="rps"]').textContent(), '—', 'fleet requests/s shown');

    await waitFor('the rolling chart to draw a line', async () => (await chartPoints(page, backends[0]!)).length >= 2, 15_000, 200);
    assert.match((await row(page, backends[0]!).locator('svg.chart').getAttribute('aria-label')) ?? '', /requests\/s now/);

    await assertNotReloaded();
  });

  it('shows a killed backend down within the health-check bound', { timeout: 25_000 }, async () => {
    const page = live;
    const [alive, victim] = backends as [FakeBackend, FakeBackend];
    victim.kill();
    const killedAt = Date.now();
    // Marked down after `fall` failed checks (each can take up to interval + timeout), then a stats
    // report (100 ms) and a page poll (1 s); generous slack for a busy machine.
    const bound = FALL * (INTERVAL_MS + 300) + POLL_MS + 5_000;
    await waitFor('the page to show the killed backend down', async () => (await cell(page, victim, 'state')) === 'down', bound, 50);
    const shownAfter = Date.now() - killedAt;
    assert.equal(await cell(page, victim, 'healthy'), '0/1');
    assert.equal(await row(page, victim).locator('td[data-col="state"]').getAttribute('class'), 'st st-down');
    assert.equal(await cell(page, alive, 'state'), 'up');
    await waitFor('the weight-implied share to move to the survivor', async () => (await cell(page, alive, 'implied')) === '100.0%', 3_000, 50);
    assert.equal(await cell(page, victim, 'implied'), '0.0%');
    console.log(`# dashboard showed the backend down ${shownAfter} ms after the kill (interval ${INTERVAL_MS} ms × fall ${FALL}, bound ${bound} ms)`);

    // Let the trend lines grow a little, so that the screenshot shows them.
    await waitFor('a few more points on the trend line', async () => (await chartPoints(page, alive)).length >= 5, 15_000, 200);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    // Phone width: everything readable without scrolling sideways.
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal scrolling at 375 px (overflow ${overflow} px)`);
    assert.equal(await cell(page, victim, 'state'), 'down');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1400, height: 900 });
    await assertNotReloaded();
  });

  it('follows a config reload (a backend added) without reloading the page', { timeout: 15_000 }, async () => {
    const page = live;
    const oldVersion = await page.locator('#fleet [data-col="version"]').textContent();
    const added = await startFakeBackend({ name: 'd3' });
    backends.push(added);
    const outcome = await cluster.reload(config(backends));
    assert.ok(outcome.ok, String(outcome.errors));
    await waitFor('the new backend row', async () => (await row(page, added).count()) === 1, 10_000, 50);
    await waitFor('the new version in the header', async () => (await page.locator('#fleet [data-col="version"]').textContent()) === outcome.version, 10_000, 50);
    assert.notEqual(outcome.version, oldVersion);
    await waitFor('traffic on the new backend', async () => toInt(await cell(page, added, 'requests')) > 0, 10_000, 100);
    await waitFor('the page to keep the old rows live', async () => (await cell(page, backends[0]!, 'state')) === 'up', 5_000, 50);
    assert.equal(await page.locator('caption', { hasText: 'Pool default' }).locator('xpath=..').locator('tbody tr').count(), 3);
    await assertNotReloaded();
  });

  it('made no request to any host but the admin port, and broke no CSP rule', () => {
    const http = requested.filter((u) => !u.startsWith('data:'));
    assert.ok(http.some((u) => u.endsWith('/api/stats')), 'the page polled /api/stats');
    assert.ok(http.some((u) => u.endsWith('/dashboard/client.js')) && http.some((u) => u.endsWith('/dashboard/dashboard.css')), 'script and styles come from the admin port');
    assert.deepEqual(http.filter((u) => new URL(u).origin !== origin), []);
    assert.deepEqual(consoleErrors, []);
  });
});
