import { describe, it, expect } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createEngine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { exampleEvents } from '../helpers/events.js';

describe('structured logs', () => {
  it('carry no customer ids or payloads, even on errors', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const engine = await createEngine({ store: 'memory' }, { logger: pino({ level: 'debug' }, sink) });
    const app = buildApp(engine, { auth: { mode: 'none' } });
    const e = exampleEvents('SECRET-CUSTOMER-77')[0]!;
    await app.inject({ method: 'POST', url: '/v1/events', payload: e });
    await app.inject({ method: 'POST', url: '/v1/events', payload: { ...e, payload: { amount: { minor: -1, currency: 'GBP' } } } });
    await app.inject({ url: '/v1/customers/SECRET-CUSTOMER-77/events?from=2026-01-01T00:00:00Z' });
    await app.inject({ method: 'DELETE', url: '/v1/customers/SECRET-CUSTOMER-77' });
    await app.close();
    await engine.close();
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(5);
    expect(text).not.toContain('SECRET-CUSTOMER-77');
    expect(text).toContain('/v1/customers/:customerId/events');
  });
});
