/**
 * Finding decisions: by customer, chosen action, channel and time, newest first, a page at a
 * time (GET /v1/decisions). Each row opens the decision in the explorer.
 */
import { useState } from 'react';
import { api, seg } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { Link } from '../router';

/** One listing as the search returns it. */
export interface DecisionListItem {
  decisionId: string;
  customerId: string;
  channel: string;
  decidedAt: string;
  catalogueVersion: string;
  chosen: string[];
  heldOut: boolean;
}
interface Page {
  items: DecisionListItem[];
  next?: string;
}
export interface SearchFilters {
  customerId: string;
  actionId: string;
  channel: string;
  from: string;
  to: string;
}

/** The channels of src/core/channels.ts ('' = any). */
const CHANNELS = ['', 'push', 'email', 'in_app', 'chatbot', 'call_centre', 'branch', 'sms'];

/** The query string for the filters that are set (`from`/`to` are datetime-local values, read as UTC). */
export function searchQuery(f: SearchFilters, cursor?: string, limit = 50): string {
  const q = new URLSearchParams();
  for (const k of ['customerId', 'actionId', 'channel'] as const) if (f[k].trim()) q.set(k, f[k].trim());
  for (const k of ['from', 'to'] as const) if (f[k]) q.set(k, new Date(`${f[k]}Z`).toISOString());
  q.set('limit', String(limit));
  if (cursor) q.set('cursor', cursor);
  return `/v1/decisions?${q.toString()}`;
}

/** The search form and its results. */
export function DecisionSearch() {
  const [f, setF] = useState<SearchFilters>({ customerId: '', actionId: '', channel: '', from: '', to: '' });
  const [rows, setRows] = useState<DecisionListItem[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (cursor?: string) => {
    setBusy(true);
    setError(null);
    try {
      const page = await api<Page>(searchQuery(f, cursor));
      setRows((r) => (cursor && r ? [...r, ...page.items] : page.items));
      setNext(page.next);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const field = (k: keyof SearchFilters, label: string, type = 'text') => (
    <>
      <label htmlFor={`search-${k}`}>{label}</label>
      <input id={`search-${k}`} type={type} value={f[k]} onChange={(e) => setF({ ...f, [k]: e.target.value })} size={type === 'text' ? 14 : undefined} />
    </>
  );
  return (
    <div>
      <h2>Find decisions</h2>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        {field('customerId', 'Customer')}
        {field('actionId', 'Chosen action')}
        <label htmlFor="search-channel">Channel</label>
        <select id="search-channel" value={f.channel} onChange={(e) => setF({ ...f, channel: e.target.value })}>
          {CHANNELS.map((c) => (
            <option key={c} value={c}>
              {c || 'any'}
            </option>
          ))}
        </select>
        {field('from', 'From (UTC)', 'datetime-local')}
        {field('to', 'To (UTC)', 'datetime-local')}
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      <ErrorNote error={error} />
      {rows && (
        <table data-testid="decision-results">
          <caption>{rows.length === 0 ? 'No decision matches.' : `${rows.length} decisions, newest first${next ? ' (more below)' : ''}`}</caption>
          <thead>
            <tr>
              <th scope="col">Decided</th>
              <th scope="col">Customer</th>
              <th scope="col">Channel</th>
              <th scope="col">Chosen</th>
              <th scope="col">Catalogue</th>
              <th scope="col">Decision</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.decisionId}>
                <td>{r.decidedAt.slice(0, 19).replace('T', ' ')}</td>
                <td>
                  <Link to={`/customers/${seg(r.customerId)}`}>{r.customerId}</Link>
                </td>
                <td>{r.channel}</td>
                <td>{r.heldOut ? 'held out' : r.chosen.join(', ') || 'nothing'}</td>
                <td>
                  <code>{r.catalogueVersion.slice(0, 12)}</code>
                </td>
                <td>
                  <Link to={`/decisions/${seg(r.decisionId)}`}>{r.decisionId}</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next && (
        <button type="button" className="secondary" disabled={busy} onClick={() => void run(next)}>
          Load more
        </button>
      )}
    </div>
  );
}
