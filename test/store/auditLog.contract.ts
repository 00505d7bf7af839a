import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import type { AuditLog } from '../../src/store/auditLog.js';
import { AuditTrail, GENESIS_HASH, verifyAuditChain } from '../../src/governance/audit.js';

/** The one contract every AuditLog adapter passes (STYLE.md 11). */
export function auditLogContract(name: string, open: () => Promise<AuditLog>): void {
  describe(`AuditLog contract: ${name}`, () => {
    let log: AuditLog;
    let trail: AuditTrail;
    let t = Date.UTC(2026, 0, 1);
    beforeEach(async () => {
      log = await open();
      trail = new AuditTrail(log, () => (t += 1000));
    });
    afterEach(async () => {
      await log.close();
    });

    it('starts empty, and an empty chain verifies', async () => {
      expect(await log.list({ limit: 10 })).toEqual([]);
      expect(await verifyAuditChain(log)).toEqual({ ok: true, entries: 0, head: GENESIS_HASH });
    });

    it('chains entries: seq from 1, each pointing at the hash before it, read back as written', async () => {
      const a = await trail.record({ actor: 'k1', action: 'catalogue.levers', target: 'levers', before: { w: 1 }, after: { w: 2, nested: { z: [1, 'x'] } } });
      const b = await trail.record({ actor: 'k2', action: 'model.promote', target: 'churn@2' });
      expect(a.seq).toBe(1);
      expect(a.prevHash).toBe(GENESIS_HASH);
      expect(b.seq).toBe(2);
      expect(b.prevHash).toBe(a.hash);
      expect(b.before).toBeNull();
      expect(await log.list({ limit: 10 })).toEqual([a, b]);
      expect(await log.list({ afterSeq: 1, limit: 10 })).toEqual([b]);
      expect(await log.list({ limit: 1 })).toEqual([a]);
      expect(await trail.verify()).toEqual({ ok: true, entries: 2, head: b.hash });
    });

    it('verifies across pages', async () => {
      for (let i = 0; i < 7; i++) await trail.record({ actor: 'a', action: 'key.create', target: `k${i}` });
      const v = await verifyAuditChain(log, 3);
      expect(v).toMatchObject({ ok: true, entries: 7 });
    });

    it('keeps the chain whole under concurrent appends', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, i) => trail.record({ actor: 'a', action: 'key.revoke', target: `k${i}` })));
      const all = await log.list({ limit: 100 });
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await trail.verify()).toMatchObject({ ok: true, entries: 20 });
    });

    it('refuses an entry that does not follow the last', async () => {
      await trail.record({ actor: 'a', action: 'key.create', target: 'k' });
      await expect(log.append(() => ({ seq: 5, at: 'x', actor: 'a', action: 'x', target: 'x', before: null, after: null, prevHash: GENESIS_HASH, hash: 'h' }))).rejects.toThrow();
      expect((await log.list({ limit: 10 })).length).toBe(1);
    });
  });
}
