/**
 * The PostgreSQL schema of erasure and the audit trail. Numbered from 101 so they never
 * collide with the store's own list (migrations.ts), which applies them after its own in
 * one `migrate`; released versions are never edited, as there.
 */
export const SECURITY_PG_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 101,
    name: 'keyed tombstones, the audit trail',
    sql: `
      -- A tombstone is HMAC-SHA256(tombstone key, customer id): a reader of the database cannot
      -- list erased ids. The key is here so every instance refuses an erased customer's events.
      CREATE TABLE erased_customer_hashes (id_hash text PRIMARY KEY, erased_at bigint NOT NULL);
      CREATE TABLE tombstone_key (id int PRIMARY KEY CHECK (id = 1), key_hex text NOT NULL, created_at bigint NOT NULL);
      -- Hash-chained; append-only through SQL (an edit needs the triggers dropped, and the chain still shows it).
      CREATE TABLE audit_log (
        seq bigint PRIMARY KEY,
        at text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        before text NOT NULL,
        after text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END
      $$;
      CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();`,
  },
];
