import { describe, it, expect, afterEach } from 'vitest';
import { fileURLToPath } from 'node:url';
import { testApp } from '../helpers/app.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const consents = { marketing: true, personalised_offers: true };

describe('trying a catalogue before publishing it', () => {
  let h: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => h?.close());

  it('dry-runs a candidate beside the catalogue in force, and logs, counts and stores nothing', async () => {
    h = await testApp({ decisioning: { catalogue } });
    await h.post('/v1/customers', { customers: ['c1', 'c2'].map((customerId) => ({ customerId, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents })) });
    const { catalogueVersion, catalogue: cat } = (await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json();
    // The candidate bars the action the catalogue in force chooses first.
    const first = (await h.post('/v1/catalogue/dry-run', { catalogue: cat, customerIds: ['c1'], channel: 'in_app' })).json().customers[0].current.chosen[0];
    expect(first).toBeTruthy();
    const candidate = structuredClone(cat);
    const action = candidate.actions.find((a: { id: string }) => a.id === first);
    action.policies = [...(action.policies ?? []), { kind: 'eligibility', when: 'customer.age > 200', reason: 'nobody is over 200' }];
    const res = await h.post('/v1/catalogue/dry-run', { catalogue: candidate, customerIds: ['c1', 'c2'], channel: 'in_app', n: 1 });
    expect(res.statusCode).toBe(200);
    const run = res.json();
    expect(run.currentVersion).toBe(catalogueVersion);
    expect(run.candidateVersion).not.toBe(catalogueVersion);
    for (const c of run.customers) {
      expect(c.current.chosen).toEqual([first]);
      expect(c.candidate.chosen).not.toContain(first);
      expect(c.changed).toBe(true);
      expect(c.candidate.excluded).toContainEqual(expect.objectContaining({ actionId: first, kind: 'eligibility', reason: 'nobody is over 200' }));
    }
    // Nothing logged, no contact counted, the candidate not in force nor stored.
    expect((await h.app.inject({ method: 'GET', url: '/v1/decisions' })).json().items).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json().catalogueVersion).toBe(catalogueVersion);
    expect((await h.app.inject({ method: 'GET', url: `/v1/catalogue?version=${run.candidateVersion}` })).statusCode).toBe(404);
    const real = (await h.post('/v1/decisions', { customerId: 'c1', channel: 'in_app' })).json();
    expect(real.chosen.map((c: { actionId: string }) => c.actionId)).toEqual([first]);
  });

  it('validates as you type: a CEL error names its rule; a good catalogue gives its version', async () => {
    h = await testApp({ decisioning: { catalogue } });
    const { catalogueVersion, catalogue: cat } = (await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json();
    const ok = await h.post('/v1/catalogue/validate', cat);
    expect(ok.json()).toEqual({ valid: true, catalogueVersion });
    const bad = structuredClone(cat);
    bad.actions[1].policies = [{ kind: 'eligibility', when: 'customer.age >=', reason: 'x' }];
    const res = await h.post('/v1/catalogue/validate', bad);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.details.issues[0]).toMatchObject({ field: 'actions.1.policies.0.when', rule: 'cel' });
  });

  it('refuses unknown customers, too many customers and a bad catalogue, naming the field', async () => {
    h = await testApp({ decisioning: { catalogue } });
    const { catalogue: cat } = (await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json();
    expect((await h.post('/v1/catalogue/dry-run', { catalogue: cat, customerIds: ['ghost'], channel: 'email' })).statusCode).toBe(404);
    const many = await h.post('/v1/catalogue/dry-run', { catalogue: cat, customerIds: Array.from({ length: 51 }, (_, i) => `c${i}`), channel: 'email' });
    expect(many.statusCode).toBe(422);
    expect(many.json().error.details.issues[0]).toMatchObject({ field: 'customerIds' });
    const badFamily = await h.post('/v1/catalogue/dry-run', { catalogue: { ...cat, actions: [{ ...cat.actions[0], family: 'mortgage' }] }, customerIds: ['c1'], channel: 'email' });
    expect(badFamily.statusCode).toBe(422);
    expect(badFamily.json().error.details.issues[0].field).toMatch(/^catalogue\.actions\.0\.family/);
  });

  it('needs the catalogue:write scope', async () => {
    h = await testApp({ decisioning: { catalogue } }, { auth: { mode: 'keys' } });
    const reader = await h.keyFor(['audit:read']);
    const editor = await h.keyFor(['catalogue:write']);
    const body = { customerIds: ['c1'], channel: 'email', catalogue: {} };
    expect((await h.post('/v1/catalogue/dry-run', body)).statusCode).toBe(401);
    expect((await h.post('/v1/catalogue/dry-run', body, { authorization: reader.authorization })).statusCode).toBe(403);
    expect((await h.post('/v1/catalogue/dry-run', body, { authorization: editor.authorization })).statusCode).toBe(422);
  });
});

describe('what if on the twin', () => {
  let h: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => h?.close());

  it('runs the catalogue in force and a candidate on the same twin bank in the background, and compares them', async () => {
    h = await testApp();
    const { catalogueVersion, catalogue: cat } = (await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json();
    // The candidate offers nothing marketing: every marketing action needs an impossible age.
    const candidate = structuredClone(cat);
    for (const a of candidate.actions) if ((a.purpose ?? 'marketing') === 'marketing') a.policies = [...(a.policies ?? []), { kind: 'eligibility', when: 'customer.age > 200', reason: 'nobody' }];
    const options = { customers: 60, days: 21, trainDays: 21, seed: 3 };
    const started = await h.post('/v1/catalogue/what-if', { catalogue: candidate, options });
    expect(started.statusCode).toBe(202);
    const job = started.json();
    expect(job).toMatchObject({ status: 'queued', currentVersion: catalogueVersion, options });
    let polled = job;
    const statuses = new Set<string>();
    for (let i = 0; i < 2000 && (polled.status === 'queued' || polled.status === 'running'); i++) {
      // Requests are answered while the run is going: it yields after each simulated day.
      expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      polled = (await h.app.inject({ method: 'GET', url: `/v1/catalogue/what-if/${job.jobId}` })).json();
      statuses.add(polled.status);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(statuses.has('running')).toBe(true);
    expect(polled.status).toBe('done');
    const { current, candidate: after, delta } = polled.result;
    expect(current.policy).toBe('current');
    expect(after.policy).toBe('candidate');
    expect(current.contactsPerCustomer).toBeGreaterThan(after.contactsPerCustomer);
    expect(delta.contactsPerCustomer).toBeCloseTo(after.contactsPerCustomer - current.contactsPerCustomer, 3);
    expect(delta.netValueGBP).toBeCloseTo(after.netValueGBP - current.netValueGBP, 3);
  }, 120_000);

  it('refuses bad options and catalogues, unknown jobs, and a fourth waiting run', async () => {
    h = await testApp();
    const { catalogue: cat } = (await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json();
    const bad = await h.post('/v1/catalogue/what-if', { catalogue: cat, options: { customers: 100_000 } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0]).toMatchObject({ field: 'options.customers' });
    expect((await h.post('/v1/catalogue/what-if', { catalogue: { ...cat, actions: 'none' } })).statusCode).toBe(422);
    expect((await h.app.inject({ method: 'GET', url: '/v1/catalogue/what-if/twin-nope' })).statusCode).toBe(404);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await h.post('/v1/catalogue/what-if', { catalogue: cat, options: { customers: 50, days: 14, trainDays: 14 } })).statusCode);
    // One starts on the next turn of the loop; three wait; the fifth is refused.
    expect(codes.slice(0, 3)).toEqual([202, 202, 202]);
    expect(codes[4]).toBe(429);
  });
});
