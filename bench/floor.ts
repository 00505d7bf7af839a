/**
 * The floor for every HTTP figure: a minimal Fastify server on the same machine, measured by
 * the same load generator in the same run. It parses the JSON body and answers with a small
 * JSON reply, as `POST /v1/decisions` does, and does nothing else (no auth, no logging, no
 * decision), so a figure beside it shows what nextbest adds to what any Node server costs.
 * `node --import tsx bench/floor.ts` prints `listening on http://127.0.0.1:PORT`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/decisions', async (req) => {
  const body = req.body as { customerId?: string; channel?: string };
  return { decisionId: 'd-floor', customerId: body.customerId ?? null, channel: body.channel ?? null, chosen: [] };
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening on ${address}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
