/**
 * The audit trail: every administrative act (catalogue, levers, models, keys, experiments,
 * erasure, export, retention) with its actor and before/after, in order, a page at a time,
 * and a check that the hash chain is unbroken.
 */
import { useState } from 'react';
import type { AuditEntry as Entry } from '../../../src/store/auditLog';
import { api } from '../api';
import { ErrorNote } from '../components/ErrorNote';

interface Chain {
  ok: boolean;
  entries: number;
  brokenAt?: number;
  reason?: string;
  head?: string;
}
interface Page {
  entries: Entry[];
  next: number | null;
  chain?: Chain;
}

/** A before/after value in one short line. */
export function brief(v: unknown): string {
  if (v === null || v === undefined) return '—';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** The audit page. */
export function Audit() {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [chain, setChain] = useState<Chain | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const load = async (after: number, verify: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const page = await api<Page>(`/v1/audit?after=${after}&limit=100&verify=${verify}`);
      setEntries((e) => (after > 0 && e ? [...e, ...page.entries] : page.entries));
      setNext(page.next);
      if (page.chain) setChain(page.chain);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>Audit trail</h1>
      <div className="inline">
        <button type="button" disabled={busy} onClick={() => void load(0, false)}>
          {entries ? 'Reload' : 'Show the trail'}
        </button>
        <button type="button" className="secondary" disabled={busy} onClick={() => void load(0, true)}>
          Verify the hash chain
        </button>
      </div>
      <ErrorNote error={error} />
      {chain &&
        (chain.ok ? (
          <p className="ok" role="status" data-testid="chain-status">
            The chain is intact: {chain.entries} entries{chain.head ? `, head ${chain.head.slice(0, 16)}…` : ''}.
          </p>
        ) : (
          <p className="error" role="alert" data-testid="chain-status">
            The chain is broken at entry {chain.brokenAt}: {chain.reason}
          </p>
        ))}
      {entries && (
        <table data-testid="audit-entries">
          <caption>{entries.length === 0 ? 'No administrative act recorded yet.' : `${entries.length} entries, oldest first`}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When</th>
              <th scope="col">Actor</th>
              <th scope="col">Act</th>
              <th scope="col">Target</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>{e.at.slice(0, 19).replace('T', ' ')}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td>{e.target}</td>
                <td>
                  <code>{brief(e.before)}</code>
                </td>
                <td>
                  <code>{brief(e.after)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== null && (
        <button type="button" className="secondary" disabled={busy} onClick={() => void load(next, false)}>
          Load more
        </button>
      )}
    </section>
  );
}
