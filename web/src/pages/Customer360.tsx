/**
 * Customer 360: the record (holdings, consents), the behavioural profile with each
 * feature's as-of time, the scores, and one timeline of events, responses and the
 * decisions made here, with "decide now" for a key that may ask for decisions.
 */
import { useMemo, useState } from 'react';
import { api, seg } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { Timeline, type TimelineItem } from '../components/Timeline';
import { useApi } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';

interface CustomerRecord {
  customerId: string;
  holdings?: string[];
  consents?: Record<string, boolean>;
  riskTolerance?: string;
  preferredChannel?: string;
  region?: string;
  customerSince?: string;
  vulnerabilityFlags?: string[];
  attributes?: Record<string, string>;
}
interface Feature {
  value: number | null;
  unit?: string | null;
  asOf: string;
  lastEventAt: string | null;
}
interface Profile {
  asOf: string;
  latestEventAt: string | null;
  features: Record<string, Feature>;
  scores?: Record<string, unknown>;
}
interface Journey {
  journeyId: string;
  triggerId: string;
  actionId: string;
  steps: { channel: string; afterMs: number; on?: { events: string[] } }[];
  done: number;
  nextAt: number | null;
  /** Set while the next step waits for an event (nextAt is then its deadline). */
  waitingFrom?: number | null;
  status: string;
  reason: string | null;
}
interface Delivery {
  key: string;
  decisionId: string;
  actionId: string;
  channel: string;
  status: string;
  attempts: number;
  createdAt: number;
  lastError: string | null;
}

/** The peer sentences of a profile's segment score ("Your card spend: higher than 72% of customers like you"). */
export function peerSentences(scores: Record<string, unknown> | undefined): string[] {
  const segment = scores?.segment as { name?: string; peers?: { insights?: { sentence?: unknown }[] } } | null | undefined;
  return (segment?.peers?.insights ?? []).map((i) => i.sentence).filter((x): x is string => typeof x === 'string');
}

/** A customer's journeys and deliveries (for keys that may read them). */
function JourneysAndDeliveries({ customerId }: { customerId: string }) {
  const journeys = useApi<{ journeys: Journey[] }>(`/v1/customers/${seg(customerId)}/journeys`);
  const deliveries = useApi<{ deliveries: Delivery[] }>(`/v1/deliveries?customerId=${encodeURIComponent(customerId)}&limit=100`);
  const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  return (
    <>
      <h2>Journeys</h2>
      <ErrorNote error={journeys.error} />
      {journeys.data &&
        (journeys.data.journeys.length === 0 ? (
          <p className="hint">No journey for this customer.</p>
        ) : (
          <ul data-testid="journeys">
            {journeys.data.journeys.map((j) => (
              <li key={j.journeyId}>
                {j.actionId} from trigger {j.triggerId}: {j.done} of {j.steps.length + 1} steps sent ({['own channel', ...j.steps.map((st) => st.channel)].join(' → ')}), {j.status}
                {j.nextAt !== null ? (j.waitingFrom != null ? `, next at their ${j.steps[j.done - 1]?.on?.events.join(' or ') ?? 'event'} until ${when(j.nextAt)}` : `, next at ${when(j.nextAt)}`) : ''}
                {j.reason ? ` (${j.reason})` : ''}
              </li>
            ))}
          </ul>
        ))}
      <h2>Deliveries</h2>
      <ErrorNote error={deliveries.error} />
      {deliveries.data &&
        (deliveries.data.deliveries.length === 0 ? (
          <p className="hint">Nothing delivered to this customer through the outbox.</p>
        ) : (
          <table data-testid="customer-deliveries">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Action</th>
                <th scope="col">Channel</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.data.deliveries.map((d) => (
                <tr key={d.key}>
                  <td>{when(d.createdAt)}</td>
                  <td>{d.actionId}</td>
                  <td>{d.channel}</td>
                  <td>{d.status}{d.lastError ? `: ${d.lastError}` : ''}</td>
                  <td>{d.attempts}</td>
                  <td>
                    <Link to={`/decisions/${seg(d.decisionId)}`}>{d.decisionId}</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </>
  );
}

interface BankEvent {
  eventId: string;
  occurredAt: string;
  type: string;
  payload?: Record<string, unknown>;
}
interface DecisionSummary {
  decisionId: string;
  decidedAt: string;
  channel: string;
  chosen: { actionId: string; name: string }[];
}

export const CHANNELS = ['push', 'email', 'in_app', 'chatbot', 'call_centre', 'branch', 'sms'] as const;

/** One line a person can read for an event. */
export function describeEvent(e: BankEvent): string {
  const p = e.payload ?? {};
  const amount = p.amount as { minor?: number; currency?: string } | undefined;
  const money = amount && typeof amount.minor === 'number' ? `${(amount.minor / 100).toFixed(2)} ${amount.currency ?? ''}`.trim() : '';
  if (e.type === 'offer_response') return `${String(p.response)} ${String(p.actionId)} on ${String(p.channel)}`;
  const rest = Object.entries(p)
    .filter(([k]) => k !== 'amount' && k !== 'accountId')
    .slice(0, 3)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return [money, rest].filter(Boolean).join(' · ');
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`;

/** One customer-level score in words: what each model says, or that no model is in force. */
export function describeScore(name: string, v: unknown): string {
  if (v === null || v === undefined) return 'not scored (no model in force)';
  if (typeof v !== 'object') return String(v);
  const o = v as Record<string, unknown>;
  const model = typeof o.model === 'string' ? ` (${o.model})` : '';
  if (name === 'propensities') {
    const rows = Object.entries(o).map(([family, p]) => `${family.replace(/_/g, ' ')} ${pct(Number((p as { probability?: number }).probability ?? NaN))}`);
    return rows.length ? rows.join(', ') : 'none scored';
  }
  if (typeof o.leavingGivenTakeUp === 'number' && typeof o.takeUp === 'number') return `${pct(o.takeUp)} take-up of a retention offer; a taker is leaving with ${pct(o.leavingGivenTakeUp)}${model}`;
  if (typeof o.probability === 'number') return `${pct(o.probability)}${typeof o.horizonDays === 'number' ? ` within ${o.horizonDays} days` : ''}${model}`;
  if (typeof o.value === 'number' && typeof o.currency === 'string') return `${o.value.toLocaleString('en-GB', { maximumFractionDigits: 0 })} ${o.currency}${typeof o.probabilityAlive === 'number' ? `, ${pct(o.probabilityAlive)} still active` : ''}${model}`;
  if (typeof o.name === 'string') return `${o.name}${model}`;
  if (typeof o.state === 'string') return `${o.state}${typeof o.basis === 'string' ? `: ${o.basis}` : ''}${model}`;
  return JSON.stringify(v);
}

/** Events and decisions as one timeline, newest first. */
export function timelineOf(events: readonly BankEvent[], decisions: readonly DecisionSummary[]): TimelineItem[] {
  const items: TimelineItem[] = events.map((e) => ({
    key: `e:${e.eventId}`,
    at: e.occurredAt,
    kind: e.type,
    summary: describeEvent(e),
    ...(e.type === 'offer_response' && typeof e.payload?.decisionId === 'string' ? { onOpen: () => navigate(`/decisions/${seg(e.payload!.decisionId as string)}`) } : {}),
  }));
  for (const d of decisions) {
    items.push({ key: `d:${d.decisionId}`, at: d.decidedAt, kind: 'decision', summary: `${d.channel}: ${d.chosen.map((c) => c.name).join(', ') || 'nothing chosen'}`, onOpen: () => navigate(`/decisions/${seg(d.decisionId)}`) });
  }
  return items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

/** The customer list (when the API has one) and a search box by id. */
export function CustomerSearch() {
  const [id, setId] = useState('');
  const list = useApi<{ customers: CustomerRecord[]; next: string | null }>('/v1/customers?limit=50');
  return (
    <section>
      <h1>Customers</h1>
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (id.trim()) navigate(`/customers/${seg(id.trim())}`);
        }}
      >
        <label htmlFor="customer-id">Customer id</label>
        <input id="customer-id" value={id} onChange={(e) => setId(e.target.value)} placeholder="c0000001" />
        <button type="submit">Open</button>
      </form>
      {list.data && (
        <table>
          <caption>First customers by id</caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Region</th>
              <th scope="col">Holdings</th>
            </tr>
          </thead>
          <tbody>
            {list.data.customers.map((c) => (
              <tr key={c.customerId}>
                <td>
                  <Link to={`/customers/${seg(c.customerId)}`}>{c.customerId}</Link>
                </td>
                <td>{c.region ?? ''}</td>
                <td>{(c.holdings ?? []).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {list.error && <p className="hint">This server has no customer list; open a customer by id.</p>}
    </section>
  );
}

/** One customer's 360 view. */
export function Customer360({ customerId }: { customerId: string }) {
  const session = useSession();
  const base = `/v1/customers/${seg(customerId)}`;
  const record = useApi<CustomerRecord>(base);
  const profile = useApi<Profile>(`${base}/profile`);
  const events = useApi<{ events: BankEvent[] }>(`${base}/events?limit=10000`);
  const [decisions, setDecisions] = useState<DecisionSummary[]>([]);
  const [channel, setChannel] = useState<string>('email');
  const [decideError, setDecideError] = useState<unknown>(null);
  const items = useMemo(() => timelineOf(events.data?.events ?? [], decisions), [events.data, decisions]);

  const decide = async () => {
    setDecideError(null);
    try {
      const d = await api<DecisionSummary>('/v1/decisions', { method: 'POST', body: { customerId, channel } });
      setDecisions((ds) => [d, ...ds]);
    } catch (e) {
      setDecideError(e);
    }
  };

  const r = record.data;
  return (
    <section>
      <h1>Customer {customerId}</h1>
      <ErrorNote error={record.error} />
      {r && (
        <div className="cards">
          <article>
            <h2>Record</h2>
            <dl>
              <dt>Region</dt>
              <dd>{r.region ?? '—'}</dd>
              <dt>Customer since</dt>
              <dd>{r.customerSince ?? '—'}</dd>
              <dt>Risk tolerance</dt>
              <dd>{r.riskTolerance ?? '—'}</dd>
              <dt>Preferred channel</dt>
              <dd>{r.preferredChannel ?? '—'}</dd>
              <dt>Holdings</dt>
              <dd>{(r.holdings ?? []).join(', ') || 'none'}</dd>
              <dt>Vulnerability flags</dt>
              <dd>{(r.vulnerabilityFlags ?? []).join(', ') || 'none'}</dd>
            </dl>
          </article>
          <article>
            <h2>Consents</h2>
            <ul className="consents">
              {Object.entries(r.consents ?? {}).map(([k, v]) => (
                <li key={k} className={v ? 'granted' : 'refused'}>
                  {k.replace(/_/g, ' ')}: <strong>{v ? 'granted' : 'refused'}</strong>
                </li>
              ))}
            </ul>
          </article>
          <article>
            <h2>Scores</h2>
            {profile.data?.scores ? (
              <dl>
                {Object.entries(profile.data.scores).map(([k, v]) => (
                  <div key={k}>
                    <dt>{k}</dt>
                    <dd>{describeScore(k, v)}</dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p>—</p>
            )}
          </article>
        </div>
      )}
      <h2>Next best action</h2>
      {session.can('decisions:write') ? (
        <div className="inline">
          <label htmlFor="decide-channel">Channel</label>
          <select id="decide-channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
            {CHANNELS.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
          <button type="button" onClick={() => void decide()}>
            Decide now
          </button>
          {decisions[0] && (
            <span>
              Latest: <Link to={`/decisions/${seg(decisions[0].decisionId)}`}>{decisions[0].chosen.map((c) => c.actionId).join(', ') || 'nothing chosen'}</Link> ({decisions[0].decisionId})
            </span>
          )}
        </div>
      ) : (
        <p className="hint">Your key may not ask for decisions (needs decisions:write).</p>
      )}
      <ErrorNote error={decideError} />
      {peerSentences(profile.data?.scores).length > 0 && (
        <>
          <h2>Compared with customers like them</h2>
          <ul data-testid="peers">
            {peerSentences(profile.data?.scores).map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        </>
      )}
      {session.can('audit:read') && <JourneysAndDeliveries customerId={customerId} />}
      <h2>Timeline</h2>
      <ErrorNote error={events.error} />
      <p className="hint">{items.length.toLocaleString('en-GB')} items, newest first; offer responses and decisions open in the decision explorer.</p>
      <Timeline items={items} />
      <h2>Profile</h2>
      <ErrorNote error={profile.error} />
      {profile.data && (
        <table className="features">
          <caption>
            {Object.keys(profile.data.features).length} features as of {profile.data.asOf}
          </caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Value</th>
              <th scope="col">Unit</th>
              <th scope="col">As of</th>
              <th scope="col">Last event</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(profile.data.features).map(([name, f]) => (
              <tr key={name}>
                <td>{name}</td>
                <td>{f.value === null ? '—' : Math.round(f.value * 1000) / 1000}</td>
                <td>{f.unit ?? ''}</td>
                <td>{f.asOf.slice(0, 19)}</td>
                <td>{f.lastEventAt?.slice(0, 19) ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
