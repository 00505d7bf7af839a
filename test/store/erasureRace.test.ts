/**
 * Erasure races what runs for the same customer: decisions, deliveries and ingest (events,
 * responses to the decisions, items the quarantine refuses). Repeated over many trials with
 * the erasure at a different moment each time, then every file of the data dir is scanned,
 * byte for byte (SQLite files, WAL, free pages), for each erased customer's id, email and name.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { mulberry32 } from '../../src/core/random.js';
import { NextbestError } from '../../src/core/errors.js';
import { createEngine } from '../../src/engine.js';
import { exampleEvents } from '../helpers/events.js';
import { scanFiles } from './scanFiles.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const TRIALS = 24;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refusedAsErased = (e: unknown) => e instanceof NextbestError && (e.code === 'GONE' || e.code === 'NOT_FOUND');

describe('erasure racing decisions, deliveries and ingest', () => {
  it(`${TRIALS} trials, then no file of the data dir holds an erased customer's id, email or name`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nb-erase-race-'));
    const clock = new ManualClock('2026-03-01T12:00:00Z');
    // Deliveries go through the engine's own outbox (decisions with `deliver`, written with their contacts) and its pull channel.
    const engine = await createEngine({ dataDir, log: { level: 'silent' }, decisioning: { catalogue }, privacy: { retentionEveryMinutes: 0 } }, { clock });
    const rng = mulberry32(14); // seeded: each run races the same way
    const random = () => rng.next();
    const keep = 'keep-me-0815';
    await engine.upsertCustomers([{ customerId: keep, dateOfBirth: '1975-05-05', consents: { marketing: true, personalised_offers: true } }]);
    await engine.ingest(exampleEvents(keep, '2026-03-01T09:00:00Z', keep).filter((e) => e.customerId !== '*'));

    const erased: string[] = [];
    const tally = { decided: 0, refused: 0, accepted: 0, rejectedAfter: 0, delivered: 0 };
    for (let trial = 0; trial < TRIALS; trial++) {
      const id = `race-${trial}-qz${Math.floor(random() * 1e9)}`;
      const email = `rhiannon.q${trial}x@example.org`;
      const name = `Rhiannon Quillfeather${trial}x`;
      erased.push(id, email, name);
      await engine.upsertCustomers([{ customerId: id, dateOfBirth: '1984-02-02', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true }, attributes: { email, full_name: name } }]);
      expect((await engine.ingest(exampleEvents(id, '2026-03-01T09:00:00Z', id).filter((e) => e.customerId !== '*' && e.type !== 'consent_change'))).rejected).toBe(0);
      const first = await engine.decide({ customerId: id, channel: 'in_app', n: 2, deliver: true });
      expect((await engine.deliveries.list({ customerId: id })).length).toBe(first.chosen.length);

      let erasedNow = false;
      const decisionIds: string[] = [first.decisionId];
      // Eight callers deciding at once for the customer, on both channels.
      const decisions = Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(async (caller) => {
        for (let k = 0; k < 6; k++) {
          try {
            const inApp = (k + caller) % 2 === 0;
            const d = await engine.decide({ customerId: id, channel: inApp ? 'in_app' : 'email', n: 1, deliver: inApp });
            decisionIds.push(d.decisionId);
            tally.decided++;
          } catch (e) {
            if (!refusedAsErased(e)) throw e;
            tally.refused++;
          }
          if ((k + caller) % 2) await pause(random());
        }
      }));
      const ingests = (async () => {
        for (let k = 0; k < 10; k++) {
          const at = '2026-03-01T11:00:00Z';
          const r = await engine.ingest([
            { eventId: `${id}-login-${k}`, customerId: id, occurredAt: at, schemaVersion: 1, type: 'login', payload: { channel: 'mobile_app' } },
            { eventId: `${id}-resp-${k}`, customerId: id, occurredAt: at, schemaVersion: 1, type: 'offer_response', payload: { decisionId: decisionIds.at(-1)!, actionId: first.chosen[0]?.actionId ?? 'card', channel: 'in_app', response: k % 3 === 0 ? 'declined' : 'shown' } },
            // Refused (a date that is no date), its raw body naming the customer.
            { eventId: `${id}-bad-${k}`, customerId: id, occurredAt: 'yesterday', schemaVersion: 1, type: 'login', payload: { note: `${name} <${email}>` } },
          ]);
          tally.accepted += r.accepted;
          if (erasedNow) tally.rejectedAfter += r.rejected;
          await pause(random() * 2);
        }
      })();
      // A page pulling the customer's in-app actions and acknowledging them (each receipt is an event).
      const dispatcher = (async () => {
        for (let k = 0; k < 8; k++) {
          try {
            for (const e of await engine.deliveries.pull.claim('in_app', { customerId: id, limit: 10 }, 'race')) {
              await pause(random());
              await engine.deliveries.pull.acknowledge(e.key, 'race', 'delivered');
              tally.delivered++;
            }
          } catch (e) {
            // The erasure took the entry (or refused its receipt) between the claim and the acknowledgement.
            if (!(e instanceof NextbestError && ['GONE', 'NOT_FOUND', 'CONFLICT'].includes(e.code))) throw e;
          }
          await pause(random() * 2);
        }
      })();
      const erasure = (async () => {
        await pause(random() * 40);
        await engine.eraseCustomer(id);
        erasedNow = true;
      })();
      await Promise.all([decisions, ingests, dispatcher, erasure]);
      // The erased customer's later decisions are refused and their later events refused.
      await expect(engine.decide({ customerId: id, channel: 'in_app', n: 1 })).rejects.toThrow();
    }
    await engine.consumers.caughtUp();

    // The race happened: decisions both landed before erasures and were refused after them.
    expect(tally.decided).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejectedAfter).toBeGreaterThan(0);
    expect(tally.delivered).toBeGreaterThan(0);
    expect(scanFiles(dataDir, [keep]).length, 'the scan sees data that is held').toBeGreaterThan(0);

    expect(scanFiles(dataDir, erased), 'engine open').toEqual([]);
    await engine.close();
    expect(scanFiles(dataDir, erased), 'after close').toEqual([]);
  }, 120_000);
});
