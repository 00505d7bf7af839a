import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';

describe('/v1/experiments', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp();
  });
  afterAll(async () => t?.close());

  const exp = { id: 'no-cards', status: 'running', layer: 'pricing', arms: [{ name: 'base', kind: 'policy', policy: 'engine' }, { name: 'no-cards', kind: 'levers', levers: { families: { credit_card: 0 } } }] };

  it('refuses a bad experiment naming the field, and stores nothing', async () => {
    const res = await t.post('/v1/experiments', { ...exp, arms: [exp.arms[0], { name: 'x', kind: 'oracle' }] });
    expect(res.statusCode).toBe(422);
    expect(JSON.stringify(res.json())).toContain('arms.1');
    const dup = await t.post('/v1/experiments', { ...exp, arms: [exp.arms[0], exp.arms[0]] });
    expect(dup.statusCode).toBe(422);
    expect(dup.json().error.details.issues[0]).toMatchObject({ field: 'arms.1.name', rule: 'unique' });
    expect((await t.app.inject({ url: '/v1/experiments' })).json().experiments).toEqual([]);
  });

  it('creates, reads, changes by revision (409 when stale), and 404s the unknown', async () => {
    const created = await t.post('/v1/experiments', exp);
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ revision: 1, experiment: { id: 'no-cards', exposure: 1, buckets: { start: 0, end: 1000 } } });
    expect((await t.post('/v1/experiments', exp)).statusCode).toBe(409);
    const put = (body: unknown, ifMatch?: string) => t.app.inject({ method: 'PUT', url: '/v1/experiments/no-cards', payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(ifMatch ? { 'if-match': ifMatch } : {}) } });
    expect((await put({ ...exp, exposure: 0.5 }, '1')).json().revision).toBe(2);
    expect((await put({ ...exp, exposure: 0.7 }, '1')).statusCode).toBe(409);
    expect((await t.app.inject({ url: '/v1/experiments/nope' })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/v1/experiments/no-cards/results' })).statusCode).toBe(404);
  });

  it('every edit is in the audit trail with its actor, before and after: create, update, stop, universal control, delete', async () => {
    const e = { ...exp, id: 'audited', layer: 'audit-layer' };
    const put = (body: unknown) => t.app.inject({ method: 'PUT', url: '/v1/experiments/audited', payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    const from = (await t.engine.audit.list({ limit: 10_000 })).length;
    expect((await t.post('/v1/experiments', e)).statusCode).toBe(200);
    expect((await put({ ...e, exposure: 0.5 })).statusCode).toBe(200);
    expect((await put({ ...e, exposure: 0.5, status: 'stopped' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'PUT', url: '/v1/universal-control', payload: JSON.stringify({ share: 0.05, salt: 'ucg' }), headers: { 'content-type': 'application/json' } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/experiments/audited' })).statusCode).toBeLessThan(300);
    const acts = (await t.engine.audit.list({ afterSeq: from, limit: 100 })).map((a) => ({ actor: a.actor, action: a.action, target: a.target, before: a.before, after: a.after }));
    expect(acts.map((a) => [a.action, a.target])).toEqual([
      ['experiment.create', 'audited'],
      ['experiment.update', 'audited'],
      ['experiment.stop', 'audited'],
      ['experiment.universal_control', 'universal-control'],
      ['experiment.delete', 'audited'],
    ]);
    expect(acts.every((a) => a.actor === 'anonymous')).toBe(true);
    expect(acts[1]).toMatchObject({ before: { exposure: 1, revision: 1 }, after: { exposure: 0.5, revision: 2 } });
    expect(acts[2]).toMatchObject({ before: { status: 'running' }, after: { status: 'stopped', revision: 3 } });
    expect(acts[3]).toMatchObject({ before: null, after: { share: 0.05, salt: 'ucg' } });
    expect(acts[4]).toMatchObject({ before: { id: 'audited', revision: 3 }, after: null });
    expect(await t.engine.audit.verify()).toMatchObject({ ok: true });
  });

  it('a levers arm changes the levers the decision uses, and the record says so', async () => {
    await t.engine.upsertCustomers(Array.from({ length: 40 }, (_, i) => ({ customerId: `k${i}`, dateOfBirth: '1980-01-01', consents: { marketing: true, personalised_offers: true } })));
    let leverArm = 0;
    for (let i = 0; i < 40; i++) {
      const d = await t.engine.decide({ customerId: `k${i}`, channel: 'in_app', n: 1 });
      if (d.experiment?.arm === 'no-cards') {
        leverArm++;
        expect(d.levers.families.credit_card).toBe(0);
      } else if (d.experiment) expect(d.levers.families.credit_card).not.toBe(0);
    }
    expect(leverArm).toBeGreaterThan(0);
  });
});
