import { apiKeyFromRow, type ApiKeyRecord, type ApiKeyRow, type ApiKeyStore } from '../apiKeyStore.js';
import { release, type PgAdapterOptions, type PgPool } from './db.js';

type Row = ApiKeyRow;
const toRecord = apiKeyFromRow;

/**
 * API keys in PostgreSQL, shared by every instance on the schema: a key added or revoked
 * through `nextbest keys` (or any instance) holds on all of them at their next request.
 */
export class PgApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly pool: PgPool,
    private readonly o: PgAdapterOptions = {},
  ) {}

  async add(k: ApiKeyRecord): Promise<void> {
    await this.pool.query('INSERT INTO api_keys (id, name, scopes, hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [k.id, k.name, JSON.stringify(k.scopes), k.hash, k.createdAt, k.expiresAt, k.revokedAt]);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const r = (await this.pool.query<Row>('SELECT * FROM api_keys WHERE id = $1', [id])).rows[0];
    return r && toRecord(r);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.pool.query<Row>('SELECT * FROM api_keys ORDER BY created_at DESC, id')).rows.map(toRecord);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return (await this.pool.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id])).rowCount === 1;
  }

  async close(): Promise<void> {
    await release(this.pool, this.o);
  }
}
