/**
 * Triggers and deliveries: the triggers in force, their newest fires with the outcome, the
 * delivery metrics (fires, deliveries, latencies, each channel's circuit), and the outbox by
 * status with the dead letters an operator may retry.
 */
import { useState } from 'react';
import { api, seg } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { useApi } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';

interface Trigger {
  id: string;
  kind: string;
  enabled: boolean;
  priority: number;
  oncePer: number;
  description?: string;
}
interface Fire {
  fire: { fireId: string; triggerId: string; customerId: string; at: number; channels: string[]; reason: string };
  outcome: { status: 'pending' | 'decided' | 'nothing_chosen'; decisionId?: string; channel?: string };
}
interface Quantiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  samples: number;
}
interface Metrics {
  fires: Record<string, { decided: number; nothing_chosen: number }>;
  deliveries: { enqueued: number; delivered: number; failed: number; cancelled: number; retried: number };
  latencyMs: { fireToDecision: Quantiles | null; decisionToDelivery: Quantiles | null };
  outbox: Record<string, number>;
  circuits: Record<string, string>;
}
interface Delivery {
  key: string;
  decisionId: string;
  actionId: string;
  customerId: string;
  channel: string;
  status: string;
  attempts: number;
  lastError: string | null;
  createdAt: number;
}

const STATUSES = ['dead', 'pending', 'leased', 'delivered', 'cancelled'] as const;
const when = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
/** "every 30 d" from milliseconds, in the largest whole unit. */
export function period(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000]] as const) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}
const q = (x: Quantiles | null) => (x ? `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms (${x.samples})` : '—');

function Deliveries() {
  const session = useSession();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('dead');
  const list = useApi<{ counts: Record<string, number>; deliveries: Delivery[] }>(`/v1/deliveries?status=${status}&limit=100`);
  const [error, setError] = useState<unknown>(null);
  const retry = async (key: string) => {
    setError(null);
    try {
      await api(`/v1/deliveries/${seg(key)}/retry`, { method: 'POST' });
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div>
      <h2>Deliveries</h2>
      <div className="inline">
        <label htmlFor="delivery-status">Status</label>
        <select id="delivery-status" value={status} onChange={(e) => setStatus(e.target.value as (typeof STATUSES)[number])}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === 'dead' ? 'dead letters' : s}
              {list.data?.counts[s] !== undefined ? ` (${list.data.counts[s]})` : ''}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={list.error ?? error} />
      {list.data && (
        <table data-testid="deliveries">
          <caption>{list.data.deliveries.length === 0 ? `No delivery is ${status}.` : `${list.data.deliveries.length} deliveries ${status}, oldest first`}</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Customer</th>
              <th scope="col">Action</th>
              <th scope="col">Channel</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Decision</th>
              {status === 'dead' && session.can('deliveries:write') && <th scope="col">Retry</th>}
            </tr>
          </thead>
          <tbody>
            {list.data.deliveries.map((d) => (
              <tr key={d.key}>
                <td>{when(d.createdAt)}</td>
                <td>
                  <Link to={`/customers/${seg(d.customerId)}`}>{d.customerId}</Link>
                </td>
                <td>{d.actionId}</td>
                <td>{d.channel}</td>
                <td>{d.attempts}</td>
                <td>{d.lastError ?? '—'}</td>
                <td>
                  <Link to={`/decisions/${seg(d.decisionId)}`}>{d.decisionId}</Link>
                </td>
                {status === 'dead' && session.can('deliveries:write') && (
                  <td>
                    <button type="button" className="secondary" onClick={() => void retry(d.key)}>
                      Retry
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The triggers page. */
export function Triggers() {
  const triggers = useApi<{ triggers: Trigger[] }>('/v1/triggers');
  const fires = useApi<{ fires: Fire[] }>('/v1/triggers/fires?limit=50');
  const metrics = useApi<Metrics>('/v1/deliveries/metrics');
  return (
    <section>
      <h1>Triggers and deliveries</h1>
      <ErrorNote error={triggers.error} />
      {triggers.data && (
        <table data-testid="triggers">
          <caption>The triggers in force (edit with `nextbest triggers import FILE` or PUT /v1/triggers/{'{id}'})</caption>
          <thead>
            <tr>
              <th scope="col">Trigger</th>
              <th scope="col">Kind</th>
              <th scope="col">Enabled</th>
              <th scope="col">Priority</th>
              <th scope="col">At most once per</th>
              <th scope="col">Fires decided / nothing chosen</th>
            </tr>
          </thead>
          <tbody>
            {triggers.data.triggers.map((t) => (
              <tr key={t.id}>
                <td>{t.id}</td>
                <td>{t.kind}</td>
                <td>{t.enabled ? 'yes' : 'no'}</td>
                <td>{t.priority}</td>
                <td>{period(t.oncePer)}</td>
                <td>
                  {metrics.data?.fires[t.id]?.decided ?? 0} / {metrics.data?.fires[t.id]?.nothing_chosen ?? 0}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorNote error={metrics.error} />
      {metrics.data && (
        <dl className="counts">
          <div>
            <dt>Delivered</dt>
            <dd>{metrics.data.deliveries.delivered}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd>{metrics.data.deliveries.failed}</dd>
          </div>
          <div>
            <dt>Fire → decision</dt>
            <dd>{q(metrics.data.latencyMs.fireToDecision)}</dd>
          </div>
          <div>
            <dt>Decision → delivered</dt>
            <dd>{q(metrics.data.latencyMs.decisionToDelivery)}</dd>
          </div>
          <div>
            <dt>Circuits</dt>
            <dd>{Object.entries(metrics.data.circuits).map(([c, s]) => `${c}: ${s}`).join(', ') || 'no push channel'}</dd>
          </div>
        </dl>
      )}
      <h2>Newest fires</h2>
      <ErrorNote error={fires.error} />
      {fires.data && (
        <table data-testid="fires">
          <caption>{fires.data.fires.length === 0 ? 'No trigger has fired yet.' : `${fires.data.fires.length} fires, newest first`}</caption>
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col">Trigger</th>
              <th scope="col">Customer</th>
              <th scope="col">Why</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {fires.data.fires.map(({ fire, outcome }) => (
              <tr key={fire.fireId}>
                <td>{when(fire.at)}</td>
                <td>{fire.triggerId}</td>
                <td>
                  <Link to={`/customers/${seg(fire.customerId)}`}>{fire.customerId}</Link>
                </td>
                <td>{fire.reason}</td>
                <td>{outcome.decisionId ? <Link to={`/decisions/${seg(outcome.decisionId)}`}>decided{outcome.channel ? ` on ${outcome.channel}` : ''}</Link> : outcome.status.replace('_', ' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Deliveries />
    </section>
  );
}
