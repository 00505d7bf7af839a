/**
 * Child of crash.consumers.test.ts: opens the engine on a data dir with some log consumers
 * paused (so events are durable but not yet applied), ingests the events given as JSON on
 * argv, prints `appended` and waits to be killed with SIGKILL.
 */
import { createEngine } from '../../src/engine.js';

const [dataDir, paused, eventsJson] = process.argv.slice(2);
const engine = await createEngine({ dataDir: dataDir!, log: { level: 'silent' } }, { pauseConsumers: paused === '*' ? true : paused!.split(',') });
const report = await engine.ingest(JSON.parse(eventsJson!) as unknown[]);
process.stdout.write(`appended ${report.accepted}\n`);
setInterval(() => undefined, 1000);
