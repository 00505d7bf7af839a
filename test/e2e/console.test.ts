/**
 * The console end to end, in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against a real server on a twin bank: log in with a key, open a
 * customer, decide, open the decision and its explanation, publish a policy with a CEL
 * error and see it, publish a valid edit and see the next decision use it, promote a model
 * and run its drift check.
 * Each page is checked with axe-core and saved as a screenshot into docs/console/.
 * Skipped when Chromium is absent, except under CI=true, where it must run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { CONSOLE_ROOT } from '../../src/server/routes/console.js';
import { twinBank } from './twinBank.js';

const CHROMIUM = '/usr/bin/chromium';
/** Scoped API keys (src/server/apiKeys.ts) where the server has them; before, every key is admin. */
const KEYS_MODULE = new URL('../../src/server/apiKeys.ts', import.meta.url);
const scopedKeys = existsSync(fileURLToPath(KEYS_MODULE));
const present = existsSync(CHROMIUM);
if (!present && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);

const KEY = 'e2e-console-key-0123456789abcdef';
const SHOTS = fileURLToPath(new URL('../../docs/console/', import.meta.url));
const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

let engine: Engine;
let app: FastifyInstance;
let base: string;
let browser: BrowserContext;
let page: Page;
let profileDir: string;
let customers: string[];

/** axe-core on the page as it stands: no serious or critical violations. */
async function accessible(name: string): Promise<void> {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    const r = await (globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${name}: ${JSON.stringify(bad)}`).toEqual([]);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

describe.skipIf(!present)('console in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(join(CONSOLE_ROOT, 'index.html'))) {
      const { build } = await import('vite');
      await build({ configFile: fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url)), logLevel: 'warn' });
    }
    const bank = await twinBank({ customers: 300, days: 150, seed: 7, apiKey: KEY });
    engine = bank.engine;
    customers = bank.customerIds;
    app = buildApp(engine, { logger: false });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const { chromium } = await import('playwright-core');
    profileDir = mkdtempSync(join(tmpdir(), 'nextbest-chromium-'));
    // A fresh profile (--user-data-dir) each run; bypassCSP: the shell allows only its own scripts, and axe-core is added by the test.
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 860 },
      bypassCSP: true,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await engine?.close();
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  });

  it('refuses a wrong key and logs in with a right one', async () => {
    await page.goto(`${base}/console/`);
    await page.getByLabel('API key').fill('not-a-key-at-all-000');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('UNAUTHORIZED');
    await accessible('login');
    await shot('login');
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('admin');
  });

  it('promotes a model: the guard refuses with its rules, an override with a reason promotes', async () => {
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('button', { name: 'propensity_guidance@1' }).click();
    await page.getByRole('button', { name: 'Promote propensity_guidance@1' }).click();
    const refusal = page.locator('.editor [role="alert"]');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/\(422\)/);
    await page.getByLabel(/^Reason/).fill('e2e: reviewed by model risk, small test set');
    await page.getByLabel('Override the promotion guard').check();
    await page.getByRole('button', { name: 'Promote propensity_guidance@1' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('propensity_guidance@1 is now the champion');
    const m = (await (await fetch(`${base}/v1/models/propensity_guidance@1`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { stage: string };
    expect(m.stage).toBe('champion');
    await accessible('models');
    await shot('models');
    // The new champion's drift: run the check and see PSI per feature.
    await page.getByRole('button', { name: 'Run the drift check now' }).click();
    await page.locator('figure.psi tbody tr').first().waitFor();
    expect(await page.locator('figure.psi tbody tr').count()).toBeGreaterThan(3);
    // A second check: drift over time shows both, oldest first.
    await page.getByRole('button', { name: 'Run the drift check now' }).click();
    await expect.poll(() => page.getByTestId('drift-over-time').locator('tbody tr').count()).toBe(2);
    await page.getByRole('heading', { name: 'Drift' }).evaluate((el) => el.scrollIntoView());
    await accessible('models-drift');
    await shot('models-drift');
  });

  let decisionId = '';
  it('opens a customer, decides, and opens the decision with its explanation', async () => {
    await page.getByRole('link', { name: 'Customers' }).click();
    await page.getByLabel('Customer id').fill(customers[0]!);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: `Customer ${customers[0]}` }).waitFor();
    await page.getByRole('list', { name: /^Timeline/ }).waitFor();
    expect(await page.getByRole('listitem').count()).toBeGreaterThan(5);
    await page.getByLabel('Channel').selectOption('email');
    await page.getByRole('button', { name: 'Decide now' }).click();
    const latest = page.locator('text=Latest:').locator('a');
    await latest.waitFor();
    const winner = (await latest.textContent())!.split(',')[0]!.trim();
    await accessible('customer');
    await shot('customer-360');
    await latest.click();
    await page.getByRole('heading', { name: 'Arbitration' }).waitFor();
    decisionId = (await page.getByLabel('Decision id').inputValue()).trim();
    expect(decisionId).toMatch(/^d-/);
    expect(await page.locator('main').textContent()).toContain(`Why ${winner}`);
    await page.getByRole('button', { name: 'Replay from the logged inputs' }).click();
    await page.getByRole('heading', { name: 'Replayed' }).waitFor();
    expect(await page.locator('main').textContent()).toContain('Identical');
    await accessible('decision');
  });

  it('shows a SHAP waterfall for a decision scored by the promoted model', async () => {
    // Find a customer whose email winner the promoted model scores, through the API, and open it in the console.
    let found: string | null = null;
    for (const c of customers.slice(1, 120)) {
      for (const channel of ['email', 'in_app', 'push']) {
        const r = await fetch(`${base}/v1/decisions?view=full`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ customerId: c, channel }) });
        const d = (await r.json()) as { decisionId: string; explanation?: { winner?: { topContributions?: unknown[] } } };
        if ((d.explanation?.winner?.topContributions ?? []).length > 0) found = d.decisionId;
        if (found) break;
      }
      if (found) break;
    }
    expect(found, 'no decision scored by propensity_guidance@1 among 119 customers').not.toBeNull();
    await page.getByLabel('Decision id').fill(found!);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('figure.waterfall canvas').waitFor();
    expect(await page.locator('figure.waterfall tbody tr').count()).toBeGreaterThan(0);
    await accessible('decision-shap');
    await shot('decision-explorer');
  });

  let published = '';
  it('shows a CEL error on the rule it names, then publishes a valid edit that the next decision uses', async () => {
    await page.getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('button', { name: 'cc_travel', exact: true }).click();
    const rule = page.locator('#policy-0');
    await rule.fill('!("credit_card" in customer.holdings) &&');
    await page.getByRole('button', { name: 'Publish as a new catalogue version' }).click();
    const err = page.locator('#policy-0-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/cel: does not compile/);
    expect(await page.locator('#policy-1-error').count()).toBe(0);
    await accessible('catalogue');
    await shot('catalogue');

    // The edit: an action that passed every policy in the first decision gets a
    // rule that never holds; the next decision must exclude it by that rule (a contact cap
    // would name a different rule, so this cannot pass by accident).
    const headers = { authorization: `Bearer ${KEY}` };
    const first = (await (await fetch(`${base}/v1/decisions/${decisionId}`, { headers })).json()) as { candidates: { actionId: string; status: string }[] };
    const catalogue = (await (await fetch(`${base}/v1/actions`, { headers })).json()) as { actions: { id: string; policies?: unknown[] }[] };
    const passed = new Set(first.candidates.filter((c) => c.status !== 'excluded').map((c) => c.actionId));
    const target = catalogue.actions.find((a) => passed.has(a.id))!;
    expect(target, 'an action that passed every policy').toBeDefined();
    const n = target.policies?.length ?? 0;
    const before = await page.getByTestId('catalogue-version').textContent();
    await page.getByRole('button', { name: target.id, exact: true }).click();
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.locator(`#policy-${n}`).fill('false');
    await page.locator(`#policy-${n}-reason`).fill('paused for review');
    await page.getByRole('button', { name: 'Publish as a new catalogue version' }).click();
    const ok = page.getByRole('status');
    await ok.waitFor();
    published = (await ok.locator('code').textContent())!;
    expect(published).not.toBe(before);
    await expect.poll(() => page.getByTestId('catalogue-version').textContent()).toBe(published);
    expect(await page.locator('tr.current code').first().textContent()).toBe(published);

    await page.getByRole('link', { name: 'Customers' }).click();
    await page.getByLabel('Customer id').fill(customers[0]!);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByLabel('Channel').selectOption('email');
    await page.getByRole('button', { name: 'Decide now' }).click();
    const latest = page.locator('text=Latest:').locator('a');
    await latest.waitFor();
    await latest.click();
    await page.getByRole('heading', { name: 'Arbitration' }).waitFor();
    expect(await page.getByLabel('Decision id').inputValue()).not.toBe(decisionId);
    expect(await page.locator('main').textContent()).toContain(`catalogue ${published}`);
    const excluded = page.getByTestId('exclusions').locator('tr', { has: page.locator(`td:text-is("${target.id}")`) });
    expect(await excluded.locator('td').nth(2).textContent()).toBe(`${target.id}#${n}`);
    expect(await excluded.locator('td').nth(3).textContent()).toBe('paused for review');
    expect(await page.getByTestId('arbitration').locator(`td:text-is("${target.id}")`).count()).toBe(0);
  });

  it('checks an edit as it is typed, then dry-runs it and runs it on the twin before publishing', async () => {
    await page.getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('button', { name: 'cc_travel', exact: true }).click();
    const rule = page.locator('#policy-0');
    const original = await rule.inputValue();
    // No publish click: the server's compiler answers the typing.
    await rule.fill(`${original} &&`);
    await page.locator('#policy-0-error').waitFor();
    expect(await page.locator('#policy-0-error').textContent()).toMatch(/cel/);
    await rule.fill(`${original} && customer.age > 200`);
    await expect.poll(() => page.locator('#policy-0-error').count()).toBe(0);
    await page.getByLabel('Sample customers').fill(customers.slice(0, 5).join(', '));
    await page.getByRole('button', { name: 'Dry run' }).click();
    const dry = page.getByTestId('dry-run');
    await dry.waitFor();
    expect(await dry.locator('tbody tr').count()).toBe(5);
    // Nobody chooses cc_travel under the edit.
    for (const cell of await dry.locator('tbody tr td:nth-child(3)').allTextContents()) expect(cell).not.toContain('cc_travel');
    await page.getByLabel('Twin').selectOption('quick');
    await page.getByRole('button', { name: 'What if, on the twin' }).click();
    await page.getByTestId('what-if').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('what-if').locator('tbody tr').count()).toBe(6);
    await accessible('catalogue-try');
    await shot('catalogue-try');
    // Leave the catalogue as it was: nothing was published.
    await rule.fill(original);
  }, 180_000);

  it('finds decisions by customer and opens one', async () => {
    await page.getByRole('link', { name: 'Decisions' }).click();
    await page.getByLabel('Customer', { exact: true }).fill(customers[0]!);
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByTestId('decision-results');
    await results.locator('tbody tr').first().waitFor();
    const rows = await results.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows)).toEqual(new Set([customers[0]]));
    await accessible('decision-search');
    await shot('decision-search');
    await results.locator('tbody tr').first().locator('td:last-child a').click();
    await page.getByRole('heading', { name: 'Arbitration' }).waitFor();
  });

  it('shows experiments with their results, the fairness audit, and the audit trail with its chain intact', async () => {
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/v1/experiments`, { method: 'POST', headers, body: JSON.stringify({ id: 'e2e-cards', status: 'running', layer: 'e2e', arms: [{ name: 'base', kind: 'policy', policy: 'engine' }, { name: 'no-cards', kind: 'levers', levers: { families: { credit_card: 0 } } }] }) });
    expect(created.status).toBe(200);
    for (const customerId of customers.slice(0, 40)) await fetch(`${base}/v1/decisions`, { method: 'POST', headers, body: JSON.stringify({ customerId, channel: 'in_app' }) });
    await page.getByRole('link', { name: 'Experiments' }).click();
    await page.getByRole('button', { name: 'Show results' }).click();
    const results = page.getByTestId('experiment-results');
    await results.waitFor();
    expect(await results.locator('tbody tr').count()).toBe(2);
    await page.getByRole('heading', { name: 'Decision fairness' }).waitFor();
    await page.getByRole('heading', { name: 'Customer outcomes' }).waitFor();
    await accessible('experiments');
    await shot('experiments');

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('button', { name: 'Verify the hash chain' }).click();
    await expect.poll(() => page.getByTestId('chain-status').textContent()).toContain('intact');
    // The catalogue edit, the promotion and the experiment made above are in the trail.
    const acts = (await page.getByTestId('audit-entries').locator('tbody tr td:nth-child(4)').allTextContents()).join(' ');
    expect(acts).toMatch(/catalogue/);
    await accessible('audit');
    await shot('audit');
  });

  it('shows the triggers in force, their fires and the deliveries by status', async () => {
    await page.getByRole('link', { name: 'Triggers' }).click();
    const triggers = page.getByTestId('triggers');
    await triggers.locator('tbody tr').first().waitFor();
    expect(await triggers.locator('tbody tr').count()).toBeGreaterThan(0);
    await page.getByTestId('fires').waitFor();
    await page.getByTestId('deliveries').waitFor();
    await accessible('triggers');
    // A customer's journeys and deliveries are on their page.
    await page.goto(`${base}/console/customers/${customers[0]}`);
    await page.getByRole('heading', { name: 'Journeys' }).waitFor();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    await accessible('customer-journeys');
    await page.getByRole('link', { name: 'Triggers' }).click();
    await page.getByTestId('triggers').waitFor();
    await shot('triggers');
  });

  it('shows counts and the quarantine', async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('heading', { name: 'Quarantine' }).waitFor();
    await page.locator('table tbody tr').first().waitFor();
    expect(await page.locator('table tbody tr').count()).toBeGreaterThan(0);
    const lag = page.getByTestId('consumer-lag');
    await lag.waitFor();
    expect(await lag.locator('tbody tr td:first-child').allTextContents()).toEqual(expect.arrayContaining(['features', 'responses']));
    await accessible('operations');
    await shot('operations');
  });

  it.skipIf(!scopedKeys)('shows a read-only key no edit buttons, and the server refuses its edits anyway', async () => {
    type Issue = (store: unknown, o: { name: string; scopes: string[]; expiresAt: number | null }, deps: { now: number }) => Promise<{ key: string }>;
    const { issueApiKey } = (await import(/* @vite-ignore */ KEYS_MODULE.href)) as { issueApiKey: Issue };
    const { key } = await issueApiKey((engine as unknown as { apiKeys: unknown }).apiKeys, { name: 'e2e-reviewer', scopes: ['audit:read', 'profiles:read'], expiresAt: null }, { now: Date.now() });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Pages' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain('audit:read, profiles:read');

    await page.getByRole('link', { name: 'Catalogue' }).click();
    await page.getByRole('button', { name: 'cc_travel', exact: true }).click();
    await page.getByText('needs catalogue:write').waitFor();
    expect(await page.getByRole('button', { name: /Publish|Add a rule|Remove rule/ }).count()).toBe(0);
    expect(await page.locator('#policy-0').getAttribute('readonly')).not.toBeNull();

    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('button', { name: 'propensity_service_message@1' }).click();
    await page.getByText('needs models:write').waitFor();
    expect(await page.getByRole('button', { name: /Promote|Roll back/ }).count()).toBe(0);

    await page.getByRole('link', { name: 'Customers' }).click();
    await page.getByLabel('Customer id').fill(customers[0]!);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByText('needs decisions:write').waitFor();
    expect(await page.getByRole('button', { name: 'Decide now' }).count()).toBe(0);

    // Hiding is a courtesy; the server is the control.
    const put = await fetch(`${base}/v1/actions/cc_travel`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(403);
  });
});
