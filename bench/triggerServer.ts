/**
 * The server side of bench/triggers.ts's end-to-end case, in a process of its own: the
 * embedded (SQLite) engine with its HTTP app, a webhook on `email` to the bench's receiver
 * (the catalogue's investment and savings actions have email treatments, not push), and `N`
 * customers who prefer email, in a time zone where it is daytime now. Prints `{"port":…}` once listening; exits on SIGTERM.
 * `node --import tsx bench/triggerServer.ts DATA_DIR WEBHOOK_URL SECRET CUSTOMERS [floor]`
 */
import { pino } from 'pino';
import { createEngine } from '../src/engine.js';
import { buildApp } from '../src/server/app.js';

const [dataDir, url, secret, n, mode] = process.argv.slice(2);
/** `floor`: the same server with no triggers (events are only ingested): the CPU floor of the path. */
const floor = mode === 'floor';
const ZONES = ['Europe/London', 'Asia/Tokyo', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney', 'America/Los_Angeles'];
const hourIn = (tz: string) => Number(new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: 'numeric', hourCycle: 'h23' }).format(new Date()));
const timeZone = ZONES.find((z) => hourIn(z) >= 9 && hourIn(z) <= 19) ?? 'Europe/London';

const engine = await createEngine(
  { dataDir: dataDir!, log: { level: 'warn' }, server: { auth: 'none', rateLimit: { perKey: { max: 0 }, perCustomer: { max: 0 } } }, delivery: { pollMs: 50, webhooks: [{ channel: 'email', url: url!, secret: secret! }] }, triggers: { sweepSeconds: 0, enabled: !floor } },
  { logger: pino({ level: 'warn' }) },
);
const customers = Array.from({ length: Number(n) }, (_, i) => ({ customerId: `b${i}`, dateOfBirth: '1985-01-01', timeZone, preferredChannel: 'email', consents: { marketing: true, personalised_offers: true } }));
for (let i = 0; i < customers.length; i += 5000) await engine.upsertCustomers(customers.slice(i, i + 5000));
const app = buildApp(engine, { logger: false, auth: { mode: 'none' } });
// The bench reads this process's CPU time around its timed run (once the consumers caught up).
app.get('/bench/cpu', async () => {
  await engine.consumers.caughtUp(30_000);
  const u = process.cpuUsage();
  return { cpuMs: (u.user + u.system) / 1000 };
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port, timeZone })}\n`);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => engine.close())
    .then(() => process.exit(0));
});
