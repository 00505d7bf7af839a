import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Bench, type BenchRow } from './harness.js';
import { ManualClock } from '../src/core/clock.js';
import { createEngine } from '../src/engine.js';
import { buildApp } from '../src/server/app.js';
import { CONSOLE_ROOT } from '../src/server/routes/console.js';

/**
 * The console: bytes the first page downloads (gzipped, as served), first contentful paint
 * on localhost in headless Chromium, and frame intervals while a 10,000-event timeline
 * scrolls (virtualised). Needs a built console (`npm run build:console`) and /usr/bin/chromium.
 */
const CHROMIUM = '/usr/bin/chromium';
const KEY = 'bench-console-key-0123456789';
const CUSTOMER = 'c-bench-1';
const EVENTS = 10_000;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

function bundleRows(): BenchRow[] {
  const index = readFileSync(join(CONSOLE_ROOT, 'index.html'), 'utf8');
  const assets = readdirSync(join(CONSOLE_ROOT, 'assets')).filter((f) => index.includes(`assets/${f}`));
  let raw = index.length;
  let gz = gzipSync(index).length;
  for (const f of assets) {
    const b = readFileSync(join(CONSOLE_ROOT, 'assets', f));
    raw += b.length;
    gz += gzipSync(b).length;
  }
  return [
    { case: 'first page (index.html + its assets)', metric: 'gzipped', value: gz / 1024, unit: 'KiB', goal: '≤ 300 KB', note: `${assets.length} assets, zlib level 6` },
    { case: 'first page (index.html + its assets)', metric: 'raw', value: raw / 1024, unit: 'KiB' },
  ];
}

const bench: Bench = {
  name: 'console',
  async run({ quick }) {
    const rows = bundleRows();
    if (!existsSync(CHROMIUM)) return { rows, notes: [`${CHROMIUM} absent: paint and scroll not measured`] };
    const clock = new ManualClock('2026-03-01T12:00:00Z');
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' }, server: { apiKeys: [KEY] } }, { clock });
    await engine.upsertCustomers([{ customerId: CUSTOMER, dateOfBirth: '1980-05-01', holdings: ['current_account'], consents: { marketing: true, profiling: true, personalised_offers: true, third_party_sharing: false, research: false } }]);
    const t0 = Date.parse('2025-03-01T00:00:00Z');
    const events = Array.from({ length: EVENTS }, (_, i) => ({ eventId: `b-${i}`, customerId: CUSTOMER, occurredAt: new Date(t0 + i * 1_500_000).toISOString(), schemaVersion: 1, type: 'card_payment', payload: { amount: { minor: -(100 + (i % 5000)), currency: 'GBP' }, merchantCategoryCode: '5411', merchantCountry: 'GB', cardType: 'debit' } }));
    for (let i = 0; i < events.length; i += 2000) await engine.ingest(events.slice(i, i + 2000));
    const app = buildApp(engine, { logger: false });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), 'nextbest-bench-chromium-'));
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-sync'], viewport: { width: 1280, height: 860 } });
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const fcp: number[] = [];
      for (let i = 0; i < (quick ? 3 : 10); i++) {
        const cdp = await ctx.newCDPSession(page);
        await cdp.send('Network.clearBrowserCache');
        await page.goto(`${base}/console/`);
        await page.getByLabel('API key').waitFor();
        fcp.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
      }
      rows.push({ case: 'login page, cold cache, localhost', metric: 'first contentful paint p50', value: pct(fcp, 0.5), unit: 'ms', note: `${fcp.length} loads; max ${Math.round(Math.max(...fcp))} ms` });

      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.goto(`${base}/console/customers/${CUSTOMER}`);
      await page.getByRole('list', { name: `Timeline, ${EVENTS} items` }).waitFor({ timeout: 60_000 });
      // A string, not a function: tsx's name-keeping helpers do not exist in the page.
      const ms = quick ? 1000 : 3000;
      const result = (await page.evaluate(`new Promise((done) => {
        const el = document.querySelector('.timeline');
        const gaps = [];
        let rowsMax = 0;
        let last = performance.now();
        const start = last;
        const step = (now) => {
          gaps.push(now - last);
          last = now;
          el.scrollTop += 600; // 20 rows a frame: a fast fling
          if (el.scrollTop + el.clientHeight >= el.scrollHeight) el.scrollTop = 0;
          rowsMax = Math.max(rowsMax, el.querySelectorAll('[role="listitem"]').length);
          if (now - start < ${ms}) requestAnimationFrame(step);
          else done({ gaps: gaps.slice(1), rowsMax });
        };
        requestAnimationFrame(step);
      })`)) as { gaps: number[]; rowsMax: number };
      const g = result.gaps;
      rows.push({ case: `timeline of ${EVENTS.toLocaleString('en-GB')} events, scrolled 600 px a frame`, metric: 'frame interval p50', value: pct(g, 0.5), unit: 'ms', goal: '≈ 16.7 ms (60 fps)' });
      rows.push({ case: `timeline of ${EVENTS.toLocaleString('en-GB')} events, scrolled 600 px a frame`, metric: 'frame interval p95', value: pct(g, 0.95), unit: 'ms' });
      rows.push({ case: `timeline of ${EVENTS.toLocaleString('en-GB')} events, scrolled 600 px a frame`, metric: 'frames over 50 ms', value: g.filter((x) => x > 50).length, unit: `of ${g.length}` });
      rows.push({ case: `timeline of ${EVENTS.toLocaleString('en-GB')} events, scrolled 600 px a frame`, metric: 'rows in the DOM (max)', value: result.rowsMax, unit: 'rows' });
    } finally {
      await ctx.close();
      await app.close();
      await engine.close();
      rmSync(profile, { recursive: true, force: true });
    }
    return { rows, notes: ['headless Chromium without a GPU on a shared 2-core machine: frame times are an upper bound'] };
  },
};
export default bench;
