/** Operations: readiness and the store's counts with ingest rates (GET /v1/ops/readiness, scope audit:read), the log consumers' lag and the ingestion quarantine. */
import { useEffect, useState } from 'react';
import type { ConsumerStatus as Consumer } from '../../../src/store/consumer';
import { ErrorNote } from '../components/ErrorNote';
import { useApi } from '../hooks';
import { useSession } from '../session';


/** The log consumers (features, response links, and the others) with their lag, refreshed every few seconds. */
function ConsumerLag() {
  const c = useApi<{ consumers: Consumer[] }>('/v1/ops/consumers');
  const { reload } = c;
  useEffect(() => {
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, [reload]);
  return (
    <>
      <h2>Log consumers</h2>
      <ErrorNote error={c.error} />
      {c.data && (
        <table data-testid="consumer-lag">
          <caption>Each derived view of the event log, how far it has applied the log, and how far behind it is</caption>
          <thead>
            <tr>
              <th scope="col">Consumer</th>
              <th scope="col">State</th>
              <th scope="col">Applied / head</th>
              <th scope="col">Lag (events)</th>
              <th scope="col">Lag (s)</th>
              <th scope="col">Failures</th>
              <th scope="col">Health</th>
            </tr>
          </thead>
          <tbody>
            {c.data.consumers.map((x) => (
              <tr key={x.name}>
                <td>{x.name}</td>
                <td>{x.state}</td>
                <td>
                  {x.appliedSeq.toLocaleString('en-GB')} / {x.headSeq.toLocaleString('en-GB')}
                </td>
                <td>{x.lagEvents.toLocaleString('en-GB')}</td>
                <td>{(x.lagMs / 1000).toFixed(1)}</td>
                <td>{x.failures}</td>
                <td className={x.healthy ? '' : 'error'}>{x.healthy ? 'healthy' : `unhealthy${x.lastError ? `: ${x.lastError}` : ''}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

interface Reject {
  id: number;
  receivedAt: string;
  source: string;
  eventId: string | null;
  customerId: string | null;
  issues: { field: string; rule: string; message: string }[];
}

/** Events per second between two readings of the event count (null until there are two). */
export function ingestRate(prev: { events: number; at: number } | null, next: { events: number; at: number }): number | null {
  if (!prev || next.at <= prev.at) return null;
  return Math.max(0, (next.events - prev.events) / ((next.at - prev.at) / 1000));
}

/** The operations page. */
export function Operations() {
  const session = useSession();
  // The public /readyz says only ready or not; the reasons and counts need audit:read.
  const ready = useApi<{ ready: boolean; reasons: string[]; events: number; customers: number; rejects: number }>(session.can('audit:read') ? '/v1/ops/readiness' : null);
  // Ingest and quarantine rates: the counts read every 5 s, differenced.
  const [reading, setReading] = useState<{ prev: { events: number; rejects: number; at: number } | null; last: { events: number; rejects: number; at: number } | null }>({ prev: null, last: null });
  const { reload } = ready;
  useEffect(() => {
    const t = setInterval(reload, 5000);
    return () => clearInterval(t);
  }, [reload]);
  useEffect(() => {
    if (ready.data) setReading((r) => ({ prev: r.last, last: { events: ready.data!.events, rejects: ready.data!.rejects, at: Date.now() } }));
  }, [ready.data]);
  const eventsPerSecond = reading.last ? ingestRate(reading.prev, reading.last) : null;
  const rejectsPerSecond = reading.last && reading.prev ? ingestRate({ events: reading.prev.rejects, at: reading.prev.at }, { events: reading.last.rejects, at: reading.last.at }) : null;
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
          <div>
            <dt>Ingest rate</dt>
            <dd data-testid="ingest-rate">{eventsPerSecond === null ? 'measuring…' : `${eventsPerSecond.toFixed(1)} events/s`}</dd>
          </div>
          <div>
            <dt>Quarantine rate</dt>
            <dd>{rejectsPerSecond === null ? 'measuring…' : `${rejectsPerSecond.toFixed(1)} items/s`}</dd>
          </div>
        </dl>
      )}
      {session.can('audit:read') && <ConsumerLag />}
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
