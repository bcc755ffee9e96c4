/**
 * Drives the built page in headless Chromium (Debian's chromium, through playwright-core) the way
 * a user does: open it, fine-tune, ask, download. The Chromium test and the web benchmark use it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_INSTALL = "install Debian's chromium package: apt-get update && apt-get install -y chromium";

/** Why the page cannot be driven here, or null when Chromium is installed. */
export function chromiumMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `Chromium not found at ${CHROMIUM}; ${CHROMIUM_INSTALL}`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface PageRun {
  page: Page;
  state: 'done' | 'error';
  /** The visible error line, '' when none. */
  error: string;
  losses: number[];
  tokensPerSecond: number;
  /** From the first step to the last, as the page measured it. */
  trainSeconds: number;
  /** Seconds since training began at the end of each step. */
  elapsed: number[];
  /** WebAssembly threads the page ran with. */
  threads: number;
  /** The main thread's longest gap between 50 ms timer ticks while training. */
  maxGapMs: number;
  /** Page errors and console errors seen. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** Opens `url` and waits until the page shows a finished run or an error. */
export async function openAndTrain(browser: Browser, url: string, timeoutMs = 240_000): Promise<PageRun> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: timeoutMs, polling: 200 });
  const seen = await page.evaluate(() => {
    const chart = document.getElementById('chart')!;
    return {
      state: document.body.dataset.state as 'done' | 'error',
      error: document.getElementById('error')!.textContent ?? '',
      losses: chart.dataset.losses ? (JSON.parse(chart.dataset.losses) as number[]) : [],
      tokensPerSecond: Number(document.getElementById('tps')!.textContent),
      trainSeconds: Number(chart.dataset.trainSeconds ?? NaN),
      elapsed: chart.dataset.elapsed ? (JSON.parse(chart.dataset.elapsed) as number[]) : [],
      threads: Number(document.getElementById('threads')!.textContent),
      maxGapMs: Number(document.body.dataset.maxGapMs ?? NaN),
    };
  });
  return { page, ...seen, problems, requests };
}

/** Clicks Answer and returns the text the page shows. */
export async function askPage(page: Page, timeoutMs = 120_000): Promise<{ text: string; seconds: number }> {
  await page.click('#ask');
  await page.waitForFunction(() => document.getElementById('answer')!.dataset.seconds !== undefined, null, { timeout: timeoutMs, polling: 100 });
  return page.evaluate(() => {
    const el = document.getElementById('answer')!;
    return { text: el.textContent ?? '', seconds: Number(el.dataset.seconds) };
  });
}

/** Clicks Download and returns the downloaded file's name and bytes. */
export async function downloadFromPage(page: Page): Promise<{ name: string; bytes: Uint8Array }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { name: download.suggestedFilename(), bytes: new Uint8Array(Buffer.concat(chunks)) };
}
