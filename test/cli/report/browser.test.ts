/**
 * Opens report.html in headless Chromium (Debian's package, driven by playwright-core) and checks
 * what a reader gets: the table, three drawn charts, no console errors, no network at all.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { writeReport } from '../../../src/cli/report/write.js';
import type { CompareReport } from '../../../src/api/compare-report.js';
import { done, run, twoByTwo } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = "install Debian's chromium package: apt-get update && apt-get install -y chromium";

interface Visit {
  page: Page;
  errors: string[];
  requests: string[];
  url: string;
}

describe('report.html in headless Chromium', function () {
  this.timeout(30_000);
  let browser: Browser;
  let context: BrowserContext;
  let dir: string;

  before(async () => {
    // Fails rather than skips: CI must not pass without having looked at the page.
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; ${INSTALL}`);
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      });
    } catch (e) {
      throw new Error(`Chromium at ${CHROMIUM} did not start (${(e as Error).message.split('\n')[0]}); ${INSTALL}`);
    }
    context = await browser.newContext();
    dir = mkdtempSync(join(tmpdir(), 'lift-report-browser-'));
  });
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function visit(name: string, report: CompareReport): Promise<Visit> {
    const out = join(dir, name);
    writeReport(out, report);
    const url = pathToFileURL(join(out, 'report.html')).href;
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });
    return { page, errors, requests, url };
  }

  /** The table's row names (one row per method), its header count, and the failed row's status. */
  function tableInfo(page: Page) {
    return page.evaluate(() => ({
      rows: [...document.querySelectorAll('#report-table tbody tr')].map((tr) => tr.querySelector('th')?.textContent ?? ''),
      headers: document.querySelectorAll('#report-table thead th').length,
      failed: document.querySelector('#report-table tbody tr[data-status="failed"] td')?.textContent,
      scripts: document.querySelectorAll('script').length,
    }));
  }

  /** Checks a chart as laid out: present once, sized, titled, with `expected` drawn items inside it. */
  async function assertChart(page: Page, id: string, selector: string, expected: number): Promise<void> {
    // One round trip for the whole chart: a locator call per item costs ~100 ms.
    const info = await page.evaluate(
      ([id, selector]) => {
        const charts = document.querySelectorAll(`svg#${id}`);
        const svg = charts[0];
        if (!svg) return { count: 0 };
        const box = svg.getBoundingClientRect();
        const items = [...svg.querySelectorAll(selector)].map((e) => e.getBoundingClientRect());
        return {
          count: charts.length,
          role: svg.getAttribute('role'),
          title: svg.querySelector('title')?.textContent ?? '',
          box: { x: box.x, y: box.y, width: box.width, height: box.height },
          items: items.map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height })),
        };
      },
      [id, selector] as const,
    );
    assert.equal(info.count, 1, `one svg#${id}`);
    const { box, items } = info as Required<typeof info>;
    assert.ok(box.width > 0 && box.height > 0, `svg#${id} has a size: ${JSON.stringify(box)}`);
    assert.equal(info.role, 'img');
    assert.ok(info.title!.length > 0, `svg#${id} has a title`);
    assert.equal(items.length, expected, `${expected} × ${selector} in svg#${id}`);
    items.forEach((b, i) => {
      assert.ok(b.width > 0 || b.height > 0, `${selector} #${i} in svg#${id} is drawn`);
      const inside = b.x >= box.x - 1 && b.x + b.width <= box.x + box.width + 1 && b.y >= box.y - 1 && b.y + b.height <= box.y + box.height + 1;
      assert.ok(inside, `${selector} #${i} lies inside svg#${id}`);
    });
  }

  it('shows the table and three charts, with no errors and no network', async () => {
    const r = twoByTwo();
    r.methods.push(done('lora', [run(1, { targetAccuracy: 0.59, trainableParams: 1_100_000, sourceRetention: 0.85 }), run(2, { targetAccuracy: 0.6, trainableParams: 1_100_000, sourceRetention: 0.86 })], { rank: 128, alpha: 256 }));
    const { page, errors, requests, url } = await visit('three', r);
    const t = await tableInfo(page);
    assert.deepEqual(t.rows, ['lift', 'full', 'lora']);
    assert.equal(t.headers, 10);
    await assertChart(page, 'loss-curves', 'path.series', 3);
    await assertChart(page, 'acc-vs-params', 'circle.point', 3);
    await assertChart(page, 'acc-vs-retention', 'circle.point', 3);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url]);
    await page.close();
  });

  it('shows failed and pending methods as rows and leaves them out of the charts', async () => {
    const r = twoByTwo();
    r.methods.push({ method: 'random', options: {}, status: 'failed', error: 'out of memory', runs: [] });
    r.methods.push({ method: '<script>alert(1)</script>', options: {}, status: 'pending', runs: [] });
    const { page, errors, requests, url } = await visit('partial', r);
    const t = await tableInfo(page);
    assert.deepEqual(t.rows, ['lift', 'full', 'random', '<script>alert(1)</script>']);
    assert.equal(t.failed, 'failed: out of memory');
    assert.equal(t.scripts, 0);
    await assertChart(page, 'loss-curves', 'path.series', 2);
    await assertChart(page, 'acc-vs-params', 'circle.point', 2);
    await assertChart(page, 'acc-vs-retention', 'circle.point', 2);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url]);
    await page.close();
  });
});
