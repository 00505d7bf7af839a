import { describe, it, expect } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createEngine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { connect } from 'node:net';
import { exampleEvents } from '../helpers/events.js';
import { logIdTag } from '../../src/server/requestLog.js';

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

  it('name the route pattern and a keyed hash of the customer in every URL spelling', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const engine = await createEngine({ store: 'memory' }, { logger: pino({ level: 'info' }, sink) });
    const key = Buffer.alloc(32, 7);
    const app = buildApp(engine, { auth: { mode: 'none' }, logIdKey: key });
    const id = 'SECRET-CUSTOMER-77';
    await app.inject({ method: 'PUT', url: `/v1/customers/${id}`, payload: { dateOfBirth: '1980-01-01' } });
    const spellings = [
      `/v1/customers/${id}`,
      `/v1/customers/${id}/profile`,
      `/v1/%63ustomers/${id}/profile`,
      `/v1/customers/SECRET%2DCUSTOMER%2D77/events`,
      `/v1/customers/${encodeURIComponent(id)}?note=${id}`,
      `//v1/customers/${id}`,
      `/v1//customers/${id}/profile`,
      `/v1/customers/${id}/`,
      `/v1/nothing/${id}?customerId=${id}`,
    ];
    for (const url of spellings) await app.inject({ url });
    await app.inject({ method: 'POST', url: '/v1/decisions', payload: { customerId: id, channel: 'email' } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    for (const target of [`http://127.0.0.1/v1/customers/${id}/profile`, `http://host.example//v1/customers/${id}?q=${id}`]) {
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        s.on('data', () => undefined);
        s.on('close', () => resolve());
      });
    }
    await app.close();
    await engine.close();
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === 'http_request');
    expect(records.length).toBe(spellings.length + 4);
    expect(lines.join('')).not.toContain('SECRET');
    expect(lines.join('')).not.toContain('%2D');
    const tag = logIdTag(key, id);
    expect(records.filter((r) => r.customer === tag).length).toBeGreaterThanOrEqual(8);
    expect(new Set(records.map((r) => r.route))).toEqual(new Set(['/v1/customers/:customerId', '/v1/customers/:customerId/profile', '/v1/customers/:customerId/events', '/v1/decisions', '(no route)']));
  });
});
