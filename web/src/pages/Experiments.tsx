/**
 * Experiments and fairness: every experiment with its arms; an experiment's results per arm
 * (acceptance with its interval, value, contacts, churn) and each arm against control, with
 * the sample-ratio check; and the decision-fairness audit (four-fifths rule per family and
 * group, with intervals), alerts first.
 */
import { useState } from 'react';
import { seg } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { useApi } from '../hooks';

interface Arm {
  name: string;
  kind: string;
  weight: number;
}
interface Stored {
  experiment: { id: string; status: string; layer: string; exposure: number; primaryMetric: string; description: string; arms: Arm[] };
  revision: number;
  updatedAt: string;
}
type Interval = [number, number];
interface ArmResult {
  arm: string;
  kind: string;
  customers: number;
  decisions: number;
  contactsPerCustomer: number;
  acceptanceRate: number;
  acceptanceInterval: Interval;
  valuePerCustomer: number;
  churned: number;
}
interface Proportion {
  difference: number;
  relativeLift: number;
  pValue: number;
  newcombeInterval: Interval;
}
interface Results {
  experimentId: string;
  control: string;
  arms: ArmResult[];
  srm: { pValue: number; alert: boolean; observedShares: number[] };
  comparisons: { arm: string; control: string; acceptance: Proportion | { unavailable: string } }[];
}
interface FairnessGroup {
  group: string;
  customers: number;
  selected: number;
  selectionRate: number;
  selectionInterval: Interval;
  accepted: number;
  acceptanceRate: number | null;
}
interface Fairness {
  customers: number;
  decisions: number;
  attributes: string[];
  families: { family: string; attribute: string; groups: FairnessGroup[] }[];
  alerts: { family: string; attribute: string; group: string; measure: string; ratio: number; interval: Interval; significant: boolean }[];
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(1)}%`);
const range = (i: Interval) => `${pct(i[0])} – ${pct(i[1])}`;

/** An arm's comparison with control, in words a reviewer reads. */
export function comparisonText(a: Proportion | { unavailable: string }): string {
  if ('unavailable' in a) return `not computable: ${a.unavailable}`;
  return `${a.difference >= 0 ? '+' : ''}${(a.difference * 100).toFixed(2)} pts (95% CI ${range(a.newcombeInterval)}), p = ${a.pValue.toPrecision(2)}`;
}

function ExperimentResults({ id }: { id: string }) {
  const r = useApi<Results>(`/v1/experiments/${seg(id)}/results`);
  if (r.error) return <ErrorNote error={r.error} />;
  if (!r.data) return <p className="hint">Loading results…</p>;
  const d = r.data;
  return (
    <div data-testid="experiment-results">
      {d.srm.alert && (
        <p className="error" role="alert">
          Sample ratio mismatch (p = {d.srm.pValue.toPrecision(2)}): assignment is not splitting customers as configured; do not trust the comparison.
        </p>
      )}
      <table>
        <caption>Per arm (control: {d.control})</caption>
        <thead>
          <tr>
            <th scope="col">Arm</th>
            <th scope="col">Kind</th>
            <th scope="col">Customers</th>
            <th scope="col">Decisions</th>
            <th scope="col">Contacts / customer</th>
            <th scope="col">Acceptance (95% CI)</th>
            <th scope="col">Value / customer (£)</th>
            <th scope="col">Churned</th>
          </tr>
        </thead>
        <tbody>
          {d.arms.map((a) => (
            <tr key={a.arm}>
              <td>{a.arm}</td>
              <td>{a.kind}</td>
              <td>{a.customers}</td>
              <td>{a.decisions}</td>
              <td>{a.contactsPerCustomer.toFixed(2)}</td>
              <td>
                {pct(a.acceptanceRate)} ({range(a.acceptanceInterval)})
              </td>
              <td>{a.valuePerCustomer.toFixed(2)}</td>
              <td>{a.churned}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Against control</h3>
      <ul>
        {d.comparisons.map((c) => (
          <li key={c.arm}>
            <strong>{c.arm}</strong> vs {c.control}, acceptance: {comparisonText(c.acceptance)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function FairnessAudit() {
  const [days, setDays] = useState(90);
  const f = useApi<Fairness>(`/v1/fairness?days=${days}`);
  return (
    <div>
      <h2>Decision fairness</h2>
      <div className="inline">
        <label htmlFor="fairness-days">Decisions of the last (days)</label>
        <input id="fairness-days" type="number" min={1} max={3650} value={days} onChange={(e) => setDays(Math.max(1, Number(e.target.value) || 90))} />
      </div>
      <ErrorNote error={f.error} />
      {f.data && (
        <>
          <p>
            {f.data.decisions.toLocaleString('en-GB')} decisions for {f.data.customers.toLocaleString('en-GB')} customers, by {f.data.attributes.join(' and ')}.
          </p>
          {f.data.alerts.length === 0 ? (
            <p className="ok" role="status">
              No group falls below four-fifths of the reference group's rate.
            </p>
          ) : (
            <div className="error" role="alert" data-testid="fairness-alerts">
              <ul>
              {f.data.alerts.map((a, i) => (
                <li key={i}>
                  {a.family}, {a.attribute} {a.group}: {a.measure} ratio {a.ratio.toFixed(2)} (CI {a.interval[0].toFixed(2)}–{a.interval[1].toFixed(2)}){a.significant ? ', significant' : ''}
                </li>
              ))}
              </ul>
            </div>
          )}
          {f.data.families.map((fam) => (
            <table key={`${fam.family}/${fam.attribute}`}>
              <caption>
                {fam.family} by {fam.attribute}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Customers</th>
                  <th scope="col">Selected</th>
                  <th scope="col">Selection rate (95% CI)</th>
                  <th scope="col">Accepted</th>
                  <th scope="col">Acceptance rate</th>
                </tr>
              </thead>
              <tbody>
                {fam.groups.map((g) => (
                  <tr key={g.group}>
                    <td>{g.group}</td>
                    <td>{g.customers}</td>
                    <td>{g.selected}</td>
                    <td>
                      {pct(g.selectionRate)} ({range(g.selectionInterval)})
                    </td>
                    <td>{g.accepted}</td>
                    <td>{pct(g.acceptanceRate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
        </>
      )}
    </div>
  );
}

type OutcomeMeasure = { contacted: number; comparison: number; difference: number; interval: Interval; pValue: number; worse: boolean } | { unavailable: string };
interface Outcomes {
  customers: number;
  contacted: number;
  heldOut: number;
  vulnerable: number;
  lines: { group: string; segment: string; contacted: number; comparison: number; measures: Record<string, OutcomeMeasure> }[];
  alerts: { group: string; segment: string; measure: string; difference: number; interval: Interval }[];
}

/** One outcome measure of the contacted against the comparison group, in words. */
export function outcomeText(m: OutcomeMeasure): string {
  if ('unavailable' in m) return `— (${m.unavailable})`;
  const d = Math.abs(m.difference) < 1 ? m.difference.toFixed(3) : m.difference.toFixed(1);
  return `${m.difference >= 0 ? '+' : ''}${d} [${m.interval[0].toFixed(2)}, ${m.interval[1].toFixed(2)}]${m.worse ? ' worse' : ''}`;
}

/** Customer outcomes (Consumer Duty): contacted customers against held-out ones the engine would have contacted. */
function CustomerOutcomes({ days }: { days: number }) {
  const o = useApi<Outcomes>(`/v1/outcomes?days=${days}`);
  const lines = o.data?.lines.filter((l) => l.segment === 'all' || l.segment === 'vulnerable') ?? [];
  const measures = [...new Set(lines.flatMap((l) => Object.keys(l.measures)))];
  return (
    <div>
      <h2>Customer outcomes</h2>
      <ErrorNote error={o.error} />
      {o.data && (
        <>
          <p>
            {o.data.contacted.toLocaleString('en-GB')} contacted and {o.data.heldOut.toLocaleString('en-GB')} held-out customers ({o.data.vulnerable.toLocaleString('en-GB')} vulnerable) over the last {days} days.
          </p>
          {o.data.alerts.length === 0 ? (
            <p className="ok" role="status">
              No outcome is significantly worse for contacted customers.
            </p>
          ) : (
            <div className="error" role="alert" data-testid="outcome-alerts">
              <ul>
                {o.data.alerts.map((a, i) => (
                  <li key={i}>
                    {a.group} ({a.segment}): {a.measure} worse by {a.difference.toFixed(3)} [{a.interval[0].toFixed(3)}, {a.interval[1].toFixed(3)}]
                  </li>
                ))}
              </ul>
            </div>
          )}
          {lines.length > 0 && (
            <table data-testid="outcomes">
              <caption>Contacted less comparison, with 95% intervals, per family (all customers and vulnerable customers)</caption>
              <thead>
                <tr>
                  <th scope="col">Family</th>
                  <th scope="col">Customers</th>
                  <th scope="col">Contacted / comparison</th>
                  {measures.map((m) => (
                    <th scope="col" key={m}>
                      {m.replace(/_/g, ' ')}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {lines.map((l) => (
                  <tr key={`${l.group}/${l.segment}`}>
                    <td>{l.group}</td>
                    <td>{l.segment}</td>
                    <td>
                      {l.contacted} / {l.comparison}
                    </td>
                    {measures.map((m) => (
                      <td key={m}>{l.measures[m] ? outcomeText(l.measures[m]) : '—'}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}

/** The experiments page. */
export function Experiments() {
  const list = useApi<{ experiments: Stored[]; universalControl: { share: number } | null }>('/v1/experiments');
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section>
      <h1>Experiments</h1>
      <ErrorNote error={list.error} />
      {list.data && (
        <>
          <p>Universal control group: {list.data.universalControl ? pct(list.data.universalControl.share) + ' of customers, never contacted by marketing' : 'none'}.</p>
          {list.data.experiments.length === 0 ? (
            <p className="hint">No experiment yet: create one with `nextbest experiments create FILE` or POST /v1/experiments.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Experiment</th>
                  <th scope="col">Status</th>
                  <th scope="col">Layer</th>
                  <th scope="col">Exposure</th>
                  <th scope="col">Arms</th>
                  <th scope="col">Results</th>
                </tr>
              </thead>
              <tbody>
                {list.data.experiments.map(({ experiment: e }) => (
                  <tr key={e.id}>
                    <td>{e.id}</td>
                    <td>{e.status}</td>
                    <td>{e.layer}</td>
                    <td>{pct(e.exposure)}</td>
                    <td>{e.arms.map((a) => `${a.name} (${a.kind}, ${a.weight})`).join('; ')}</td>
                    <td>
                      <button type="button" aria-pressed={open === e.id} onClick={() => setOpen(open === e.id ? null : e.id)}>
                        {open === e.id ? 'Hide' : 'Show'} results
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {open && (
            <>
              <h2>Results: {open}</h2>
              <ExperimentResults key={open} id={open} />
            </>
          )}
        </>
      )}
      <FairnessAudit />
      <CustomerOutcomes days={90} />
    </section>
  );
}
