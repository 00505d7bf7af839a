/** Operations: readiness and the store's counts (GET /v1/ops/readiness, scope audit:read) and the ingestion quarantine. */
import { ErrorNote } from '../components/ErrorNote';
import { useApi } from '../hooks';
import { useSession } from '../session';

interface Reject {
  id: number;
  receivedAt: string;
  source: string;
  eventId: string | null;
  customerId: string | null;
  issues: { field: string; rule: string; message: string }[];
}

/** The operations page. */
export function Operations() {
  const session = useSession();
  // The public /readyz says only ready or not; the reasons and counts need audit:read.
  const ready = useApi<{ ready: boolean; reasons: string[]; events: number; customers: number; rejects: number }>(session.can('audit:read') ? '/v1/ops/readiness' : null);
  const rejects = useApi<{ rejects: Reject[]; total: number }>(session.can('events:write') ? '/v1/ingest/rejects?limit=100' : null);
  return (
    <section>
      <h1>Operations</h1>
      {!session.can('audit:read') && <p className="hint">Your key may not read readiness and counts (needs audit:read).</p>}
      <ErrorNote error={ready.error} />
      {ready.data && (
        <dl className="counts">
          <div>
            <dt>Status</dt>
            <dd>{ready.data.ready ? 'ready' : `not ready: ${ready.data.reasons.join('; ')}`}</dd>
          </div>
          <div>
            <dt>Events</dt>
            <dd>{ready.data.events.toLocaleString('en-GB')}</dd>
          </div>
          <div>
            <dt>Customers</dt>
            <dd>{ready.data.customers.toLocaleString('en-GB')}</dd>
          </div>
          <div>
            <dt>Quarantined</dt>
            <dd>{ready.data.rejects.toLocaleString('en-GB')}</dd>
          </div>
        </dl>
      )}
      <h2>Quarantine</h2>
      {!session.can('events:write') && <p className="hint">Your key may not read the quarantine (needs events:write).</p>}
      <ErrorNote error={rejects.error} />
      {rejects.data && (
        <table>
          <caption>
            Newest {rejects.data.rejects.length} of {rejects.data.total} rejected items, with the field and rule each broke
          </caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Source</th>
              <th scope="col">Event</th>
              <th scope="col">Customer</th>
              <th scope="col">Issues</th>
            </tr>
          </thead>
          <tbody>
            {rejects.data.rejects.map((r) => (
              <tr key={r.id}>
                <td>{r.receivedAt.slice(0, 19)}</td>
                <td>{r.source}</td>
                <td>{r.eventId ?? '—'}</td>
                <td>{r.customerId ?? '—'}</td>
                <td>{r.issues.map((i) => `${i.field || '(item)'} ${i.rule}: ${i.message}`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
