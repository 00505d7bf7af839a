/**
 * A process to SIGKILL between committing a decision's contacts and logging its record.
 * It makes one decision that is logged (`kept`), then makes the decision log hang and decides
 * for `lost`: the contacts commit, the append never returns. It prints `STALLED <id>` then,
 * and waits to be killed. `node --import tsx test/helpers/stalledDecision.ts CONFIG_JSON`
 */
import { createEngine } from '../../src/engine.js';

const config = JSON.parse(process.argv[2]!) as Parameters<typeof createEngine>[0];
const engine = await createEngine(config);
await engine.upsertCustomers(['kept', 'lost'].map((customerId) => ({ customerId, dateOfBirth: '1984-02-02', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } })));
const kept = await engine.decide({ customerId: 'kept', channel: 'in_app', n: 2 });
process.stdout.write(`KEPT ${kept.decisionId} ${kept.chosen.length}\n`);
// Test-only reach into the engine: the decision log's append never completes from here on.
const log = (engine as unknown as { parts: { backend: { decisionLog: { append: (d: { decisionId: string }) => Promise<void> } } } }).parts.backend.decisionLog;
log.append = (d) => {
  process.stdout.write(`STALLED ${d.decisionId}\n`);
  return new Promise(() => undefined);
};
// Delivered: on SQLite its outbox entries are written with the contacts.
void engine.decide({ customerId: 'lost', channel: 'in_app', n: 2, deliver: true });
setInterval(() => undefined, 1000);
