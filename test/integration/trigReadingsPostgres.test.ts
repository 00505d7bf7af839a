import { afterAll, describe, it } from 'vitest';
import { PgFireLog } from '../../src/triggers/index.js';
import { fireLogBatchContract } from '../triggers/fireLogBatch.contract.js';
import { custom, edited, expectSameAsFullReadings, shipped } from '../triggers/readingsRig.js';
import { dropSchemas, freshSchema } from './pg.js';
import { serviceAvailable } from './services.js';

/**
 * test/triggers/readingsEquivalence.test.ts on the PostgreSQL fire log: the limited readings
 * (with what they kept) go through its JSON column and back as the next "before", and fire
 * what the full readings fired. Schemas of their own (./pg.ts), dropped at the end.
 */
const available = await serviceAvailable('PostgreSQL', 5432);

describe.skipIf(!available)('limited trigger readings on PostgreSQL', () => {
  afterAll(dropSchemas);
  const pools: Awaited<ReturnType<typeof freshSchema>>['pool'][] = [];
  afterAll(async () => {
    for (const p of pools) await p.end();
  });
  it('thresholds on features and scores, edited while the stream runs, fire what full readings fired', async () => {
    // The oracle and the consumer each on a schema of its own (fire ids are the same on both).
    const fires = async () => {
      const { pool } = await freshSchema({ max: 2 });
      pools.push(pool);
      return new PgFireLog(pool);
    };
    await expectSameAsFullReadings([[...shipped, ...custom], edited([...shipped, ...custom]), [...shipped, ...custom]], 12, fires, { customers: 10, days: 150 });
  }, 240_000);
});

describe.skipIf(!available)('PostgreSQL fire log: batch readings and seen times', () => {
  const pools: Awaited<ReturnType<typeof freshSchema>>['pool'][] = [];
  afterAll(async () => {
    for (const p of pools) await p.end();
    await dropSchemas();
  });
  fireLogBatchContract(async () => {
    const { pool } = await freshSchema({ max: 2 });
    pools.push(pool);
    return new PgFireLog(pool);
  });
});
