import { AuditTrail, loadConfig, openApiKeyStore, openAuditLog, isLive, type ApiKeyRecord } from '../index.js';
import { cliActor } from './actor.js';
import { isScope, SCOPES, SCOPE_MEANING, type Scope } from '../core/scopes.js';
import { assertUnreachable } from '../core/errors.js';
import { issueApiKey } from '../server/apiKeys.js';
import { parseCommand, UsageError, subcommand } from './args.js';

const spec = {
  usage: 'nextbest keys create --name NAME --scope SCOPE [--scope SCOPE ...] [--expires-in-days N] | list | revoke ID',
  summary: `API keys for the HTTP API, stored hashed in keys.db in the data dir, or in PostgreSQL with --store postgres://… (a running server sees changes at once). create prints the key once: store it then. Rotate by creating a new key and revoking the old one. Scopes: ${SCOPES.map((s) => `${s} (${SCOPE_MEANING[s]})`).join('; ')}. Prints JSON.`,
  options: {
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    'expires-in-days': { type: 'string' },
    'data-dir': { type: 'string' },
    store: { type: 'string' },
    config: { type: 'string', default: 'nextbest.config.yaml' },
  },
  help: {
    name: 'create: who holds the key, e.g. crm-batch',
    scope: 'create: a scope the key grants (repeat, or comma-separate)',
    'expires-in-days': 'create: the key is refused after this many days (default: no expiry)',
    'data-dir': 'Where the embedded store keeps its files',
    store: 'sqlite (default) or a postgres:// URL (?schema=NAME), as `serve --store`',
    config: 'Config file',
  },
  allowPositionals: true,
} as const;

const SUBCOMMANDS = ['create', 'list', 'revoke'] as const;

/** What `list` shows of a key: never the hash. */
function describe(k: ApiKeyRecord, now: number) {
  const status = k.revokedAt !== null ? 'revoked' : isLive(k, now) ? 'live' : 'expired';
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return { id: k.id, name: k.name, scopes: k.scopes, status, createdAt: iso(k.createdAt), expiresAt: iso(k.expiresAt), revokedAt: iso(k.revokedAt) };
}

/** `nextbest keys` */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand(argv, spec);
  if (!parsed) return 0;
  const v = parsed.values;
  const [, arg] = parsed.positionals;
  const sub = subcommand(parsed.positionals, SUBCOMMANDS, spec.usage);
  const config = loadConfig(v.config, process.env, { ...(v['data-dir'] ? { dataDir: v['data-dir'] } : {}), ...(v.store ? { store: v.store } : {}), log: { level: 'warn' } });
  if (config.store === 'memory') throw new UsageError('keys are kept only by the sqlite and postgres stores; this config uses the memory store');
  const now = Date.now();
  const out = (x: unknown) => process.stdout.write(`${JSON.stringify(x, null, 2)}\n`);
  const store = await openApiKeyStore(config);
  const auditLog = await openAuditLog(config);
  const audit = new AuditTrail(auditLog, Date.now);
  const command = sub;
  try {
    switch (command) {
      case 'create': {
        if (!v.name) throw new UsageError('keys create needs --name');
        const scopes = (v.scope ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
        if (scopes.length === 0) throw new UsageError(`keys create needs at least one --scope: ${SCOPES.join(', ')}`);
        const bad = scopes.filter((s) => !isScope(s));
        if (bad.length > 0) throw new UsageError(`unknown scope ${bad.join(', ')}; scopes are ${SCOPES.join(', ')}`);
        let expiresAt: number | null = null;
        if (v['expires-in-days'] !== undefined) {
          const days = Number(v['expires-in-days']);
          if (!(days > 0)) throw new UsageError(`--expires-in-days must be a positive number, got ${v['expires-in-days']}`);
          expiresAt = now + Math.round(days * 86_400_000);
        }
        const { key, record } = await issueApiKey(store, { name: v.name, scopes: scopes as Scope[], expiresAt }, { now });
        await audit.record({ actor: cliActor(), action: 'key.create', target: record.id, before: null, after: describe(record, now) });
        out({ key, ...describe(record, now), note: 'the key is shown only now: store it; only its hash is kept' });
        return 0;
      }
      case 'list':
        out({ keys: (await store.list()).map((k) => describe(k, now)) });
        return 0;
      case 'revoke': {
        if (!arg) throw new UsageError('keys revoke needs a key ID (see keys list)');
        const id = arg.replace(/^nbk_/, '').split('_')[0]!;
        if (!(await store.revoke(id, now))) {
          process.stderr.write(`no live key ${id}\n`);
          return 1;
        }
        await audit.record({ actor: cliActor(), action: 'key.revoke', target: id, before: { status: 'live' }, after: { status: 'revoked' } });
        out({ revoked: id });
        return 0;
      }
      default:
        return assertUnreachable(command);
    }
  } finally {
    await store.close();
    await auditLog.close();
  }
}
