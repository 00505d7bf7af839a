import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createEngine, loadConfig, type Engine } from '../index.js';
import { iso, MS_PER_DAY } from '../core/clock.js';
import {
  CoordinatorConfig,
  csvData,
  fromConfig,
  httpLink,
  loadYamlConfig,
  newIdentity,
  ParticipantConfig,
  Participant,
  propensityData,
  registerInBank,
  serveParticipant,
  tokenOf,
  trainFederated,
  type LocalData,
  type RegisterModel,
} from '../federated/index.js';
import { saveModel } from '../models/gbdt/index.js';
import { parseCommand, numberOption, required, UsageError } from './args.js';
import { untilSignal } from './serve.js';
import { ACTION_FAMILIES, type ActionFamily } from '../simulation/index.js';

function demoFamily(f: string): ActionFamily {
  if (!(ACTION_FAMILIES as readonly string[]).includes(f)) throw new UsageError(`--family must be one of ${ACTION_FAMILIES.join(', ')}, got ${f}`);
  return f as ActionFamily;
}

const spec = {
  usage: 'nextbest federated participant --config FILE | coordinator --config FILE | keygen --out KEY.pem | demo [--customers N] [--days D] [--seed S] [--family F] [--rounds R] [--dp]',
  summary:
    'Federated GBDT: banks train one model without sharing rows. `participant` serves one bank\'s rows (a CSV, or the propensity rows of its nextbest store) to a coordinator over HTTP(S) and answers only with quantile summaries and masked histogram sums; `coordinator` grows the trees from the sums, sends the finished model to every participant (which registers it as a candidate) and prints a JSON summary; `demo` simulates three banks with the digital twin on this machine and prints test AUCs: federated vs central pooling vs each bank alone. See docs/federated.md.',
  options: {
    config: { type: 'string' },
    out: { type: 'string' },
    customers: { type: 'string', default: '250' },
    days: { type: 'string', default: '150' },
    seed: { type: 'string', default: '7' },
    family: { type: 'string', default: 'investment' },
    rounds: { type: 'string', default: '40' },
    dp: { type: 'boolean' },
    'data-dir': { type: 'string', default: './.nextbest/federated-demo' },
  },
  help: {
    config: 'participant / coordinator: the YAML config (docs/federated.md)',
    out: 'keygen: where to write the Ed25519 identity (private key, PEM, mode 0600); the public key is printed for the other participants\' configs',
    customers: 'demo: customers per simulated bank',
    days: 'demo: days of history per bank',
    seed: 'demo: seed of the first bank (the others follow)',
    family: `demo: the product every bank campaigns for and the model predicts take-up of (${ACTION_FAMILIES.join(', ')})`,
    rounds: 'demo: boosting rounds',
    dp: 'demo: also train with differential privacy (epsilon 8, delta 1e-6)',
    'data-dir': 'demo: where the three banks\' stores live (wiped first)',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['participant', 'coordinator', 'keygen', 'demo'] as const;

/** `nextbest federated` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [sub] = parsed.positionals;
  switch (sub) {
    case 'participant':
      return participant(required(v, 'config'));
    case 'coordinator':
      return coordinator(required(v, 'config'));
    case 'keygen': {
      const out = required(v, 'out');
      if (existsSync(out)) throw new UsageError(`--out: ${out} exists; an identity is never overwritten`);
      const id = newIdentity();
      writeFileSync(out, id.privateKeyPem, { mode: 0o600, flag: 'wx' });
      process.stdout.write(`${JSON.stringify({ privateKey: out, publicKey: id.publicKey })}\n`);
      return 0;
    }
    case 'demo': {
      const { runDemo } = await import('./federatedDemo.js');
      return runDemo({ customers: numberOption(v, 'customers', 250), days: numberOption(v, 'days', 150), seed: numberOption(v, 'seed', 7), rounds: numberOption(v, 'rounds', 40), family: demoFamily(v.family ?? 'investment'), dp: v.dp === true, dataDir: v['data-dir'] }, (s) => process.stdout.write(`${s}\n`));
    }
    default:
      throw new UsageError(`give a subcommand: ${SUBCOMMANDS.join(', ')}\n\nUsage: ${spec.usage}`);
  }
}

async function participant(path: string): Promise<number> {
  const { config: c, base } = loadYamlConfig(ParticipantConfig, path);
  const token = tokenOf(c, process.env, 'token');
  let data: LocalData;
  let register: RegisterModel | undefined;
  let engine: Engine | undefined;
  if ('csv' in c.data) {
    data = csvData(fromConfig(base, c.data.csv), c.data);
  } else {
    const d = c.data;
    engine = await createEngine(loadConfig(fromConfig(base, d.config), process.env, { log: { level: 'warn' }, ...(d.dataDir ? { dataDir: fromConfig(base, d.dataDir) } : {}) }));
    const to = d.to ? Date.parse(d.to) : engine.clock.now();
    const from = d.from ? Date.parse(d.from) : to - 365 * MS_PER_DAY;
    const local = await propensityData(engine.stores.eventLog, engine.features.definitions, { from, to, observedUntil: to }, d.family);
    data = local;
    const e = engine;
    if (d.register) register = registerInBank(local, { name: `propensity_${d.family}`, register: (m) => e.models.register(m), window: { from: iso(from), to: iso(to) }, definitionsHash: e.features.version, createdAt: () => iso(e.clock.now()) });
  }
  const identity = c.identity ? { privateKey: createPrivateKey(readFileSync(fromConfig(base, c.identity.key), 'utf8')), peers: new Map(Object.entries(c.identity.peers)) } : undefined;
  const p = new Participant(c.name, data, register, identity);
  const tls = c.tls ? { key: readFileSync(fromConfig(base, c.tls.key), 'utf8'), cert: readFileSync(fromConfig(base, c.tls.cert), 'utf8') } : undefined;
  const server = await serveParticipant(p, { host: c.listen.host, port: c.listen.port, token, ...(tls ? { tls } : {}), onRequest: (route, status) => process.stderr.write(`${c.name}: ${route} ${status}\n`) });
  // The first stdout line says where it listens (tests and scripts read it).
  process.stdout.write(`${JSON.stringify({ participant: c.name, url: server.url, rows: data.train.nRows, testRows: data.test?.features.nRows ?? 0, features: data.featureNames.length })}\n`);
  await untilSignal();
  await server.close();
  await engine?.close();
  return 0;
}

async function coordinator(path: string): Promise<number> {
  const { config: c, base } = loadYamlConfig(CoordinatorConfig, path);
  const links = c.participants.map((p, i) =>
    httpLink({ name: p.name, url: p.url, token: tokenOf(p, process.env, `participants[${i}].token`), timeoutMs: c.timeoutMs, ...(p.pin ? { pin: p.pin } : {}), ...(p.ca ? { ca: readFileSync(fromConfig(base, p.ca), 'utf8') } : {}) }),
  );
  const result = await trainFederated(links, {
    params: c.params,
    cuts: c.cuts === 'sketch' ? 'sketch' : c.cuts.map((x) => Float64Array.from(x)),
    privacy: c.privacy,
    minParticipants: c.minParticipants,
    card: c.card,
    onRound: (round, active) => process.stderr.write(`round ${round + 1}: ${active.join(', ')}\n`),
  });
  if (c.out) writeFileSync(fromConfig(base, c.out), saveModel(result.model));
  process.stdout.write(
    `${JSON.stringify({ model: c.out ? fromConfig(base, c.out) : null, rounds: result.rounds, retries: result.retries, participants: result.participants, privacy: result.privacy, bytesPerRound: Math.round(result.bytesPerRound), wallSeconds: Number(result.wallSeconds.toFixed(3)) }, null, 2)}\n`,
  );
  return 0;
}
