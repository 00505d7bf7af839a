/**
 * Before publishing: what changed between two catalogue versions, what a candidate would
 * decide for sample customers beside the catalogue in force (a dry run: nothing logged or
 * counted), and how it would do on the digital twin (a background what-if run).
 */
import { useEffect, useState } from 'react';
import { api, seg } from '../api';
import { ErrorNote } from '../components/ErrorNote';

type Json = Record<string, unknown>;

const brief = (v: unknown) => {
  const s = v === undefined ? '(none)' : JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}…` : s;
};

/** What changed from catalogue `a` to `b`, one line each: actions added, removed, and fields changed; the catalogue's other sections. */
export function catalogueDiff(a: Json, b: Json): string[] {
  const out: string[] = [];
  const byId = (c: Json) => new Map(((c.actions as Json[] | undefined) ?? []).map((x) => [String(x.id), x]));
  const [before, after] = [byId(a), byId(b)];
  for (const [id, x] of after) if (!before.has(id)) out.push(`add action ${id} (${String(x.family)})`);
  for (const id of before.keys()) if (!after.has(id)) out.push(`remove action ${id}`);
  for (const [id, x] of after) {
    const old = before.get(id);
    if (!old) continue;
    for (const k of [...new Set([...Object.keys(old), ...Object.keys(x)])].sort()) {
      if (JSON.stringify(old[k]) !== JSON.stringify(x[k])) out.push(`${id}.${k}: ${brief(old[k])} → ${brief(x[k])}`);
    }
  }
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => k !== 'actions').sort()) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(`${k}: ${brief(a[k])} → ${brief(b[k])}`);
  }
  return out;
}

/** Two stored versions, side by side as a list of changes. */
export function VersionDiff({ versions, current }: { versions: { version: string; replaces: string | null }[]; current: string }) {
  const inForce = versions.find((v) => v.version === current);
  const [from, setFrom] = useState(inForce?.replaces ?? versions[1]?.version ?? current);
  const [to, setTo] = useState(current);
  const [lines, setLines] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    Promise.all([from, to].map((v) => api<{ catalogue: Json }>(`/v1/catalogue?version=${seg(v)}`))).then(
      ([a, b]) => live && setLines(catalogueDiff(a!.catalogue, b!.catalogue)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [from, to]);
  const pick = (id: string, label: string, value: string, set: (v: string) => void) => (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => set(e.target.value)}>
        {versions.map((v) => (
          <option key={v.version} value={v.version}>
            {v.version.slice(0, 16)}
            {v.version === current ? ' (in force)' : ''}
          </option>
        ))}
      </select>
    </>
  );
  return (
    <div>
      <h2>Changes between versions</h2>
      <div className="inline">
        {pick('diff-from', 'From', from, setFrom)}
        {pick('diff-to', 'To', to, setTo)}
      </div>
      <ErrorNote error={error} />
      {lines && (lines.length === 0 ? <p className="hint">No difference.</p> : <ul data-testid="catalogue-diff">{lines.map((l, i) => <li key={i}><code>{l}</code></li>)}</ul>)}
    </div>
  );
}

interface Outcome {
  catalogueVersion: string;
  chosen: string[];
  excluded: { actionId: string; kind: string; rule: string; reason: string }[];
}
interface DryRun {
  currentVersion: string;
  candidateVersion: string;
  customers: { customerId: string; current: Outcome; candidate: Outcome; changed: boolean }[];
}
interface Row {
  policy: string;
  acceptedValueGBP: number;
  netValueGBP: number;
  contactsPerCustomer: number;
  churnRate: number;
  harm: number;
  acceptanceRate: number;
}
interface Job {
  jobId: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  stage?: string;
  result?: { current: Row; candidate: Row; delta: Record<string, number> };
  error?: string;
}

/** Twin sizes offered: bigger is steadier and slower (a run trains once and runs both catalogues). */
export const TWIN_SIZES = {
  quick: { customers: 200, days: 30, trainDays: 30 },
  standard: { customers: 500, days: 60, trainDays: 60 },
  thorough: { customers: 2000, days: 90, trainDays: 90 },
} as const;

const CHANNELS = ['email', 'push', 'in_app', 'chatbot', 'sms', 'branch', 'call_centre'];
const FIGURES: [keyof Row, string][] = [
  ['netValueGBP', 'Net value (£)'],
  ['acceptedValueGBP', 'Accepted value (£)'],
  ['acceptanceRate', 'Acceptance rate'],
  ['contactsPerCustomer', 'Contacts per customer'],
  ['churnRate', 'Churn rate'],
  ['harm', 'Unsuitable take-ups'],
];

/** Dry run and what-if for a candidate catalogue (the edited one). */
export function TryCandidate({ candidate }: { candidate: Json }) {
  const [ids, setIds] = useState('');
  const [channel, setChannel] = useState('email');
  const [dry, setDry] = useState<DryRun | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [size, setSize] = useState<keyof typeof TWIN_SIZES>('quick');
  const [error, setError] = useState<unknown>(null);
  const dryRun = async () => {
    setError(null);
    try {
      const customerIds = ids.split(/[\s,]+/).filter(Boolean);
      setDry(await api<DryRun>('/v1/catalogue/dry-run', { method: 'POST', body: { catalogue: candidate, customerIds, channel } }));
    } catch (e) {
      setError(e);
    }
  };
  const whatIf = async () => {
    setError(null);
    try {
      setJob(await api<Job>('/v1/catalogue/what-if', { method: 'POST', body: { catalogue: candidate, options: TWIN_SIZES[size] } }));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    if (!job || job.status === 'done' || job.status === 'failed') return;
    const t = setTimeout(() => {
      api<Job>(`/v1/catalogue/what-if/${seg(job.jobId)}`).then(setJob, setError);
    }, 1000);
    return () => clearTimeout(t);
  }, [job]);
  return (
    <div className="changes">
      <h3>Try the edit before publishing</h3>
      <div className="inline">
        <label htmlFor="dry-ids">Sample customers</label>
        <input id="dry-ids" value={ids} onChange={(e) => setIds(e.target.value)} placeholder="c0000001, c0000002" size={30} />
        <label htmlFor="dry-channel">Channel</label>
        <select id="dry-channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
          {CHANNELS.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
        <button type="button" className="secondary" disabled={!ids.trim()} onClick={() => void dryRun()}>
          Dry run
        </button>
        <label htmlFor="twin-size">Twin</label>
        <select id="twin-size" value={size} onChange={(e) => setSize(e.target.value as keyof typeof TWIN_SIZES)}>
          {Object.entries(TWIN_SIZES).map(([k, v]) => (
            <option key={k} value={k}>
              {k}: {v.customers} customers × {v.days} days
            </option>
          ))}
        </select>
        <button type="button" className="secondary" disabled={job?.status === 'queued' || job?.status === 'running'} onClick={() => void whatIf()}>
          What if, on the twin
        </button>
      </div>
      <ErrorNote error={error} />
      {dry && (
        <table data-testid="dry-run">
          <caption>
            In force <code>{dry.currentVersion.slice(0, 12)}</code> against the edit <code>{dry.candidateVersion.slice(0, 12)}</code>; nothing logged or counted
          </caption>
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">In force chooses</th>
              <th scope="col">The edit chooses</th>
              <th scope="col">Newly excluded by</th>
            </tr>
          </thead>
          <tbody>
            {dry.customers.map((c) => {
              const before = new Set(c.current.excluded.map((x) => `${x.actionId}|${x.rule}`));
              const added = c.candidate.excluded.filter((x) => !before.has(`${x.actionId}|${x.rule}`));
              return (
                <tr key={c.customerId} className={c.changed ? 'current' : ''}>
                  <td>{c.customerId}</td>
                  <td>{c.current.chosen.join(', ') || 'nothing'}</td>
                  <td>{c.candidate.chosen.join(', ') || 'nothing'}</td>
                  <td>{added.map((x) => `${x.actionId}: ${x.rule} (${x.reason})`).join('; ') || '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {job && job.status !== 'done' && (
        <p role="status" className={job.status === 'failed' ? 'error' : 'hint'}>
          What-if run {job.status}
          {job.stage ? ` (${job.stage})` : ''}
          {job.error ? `: ${job.error}` : '…'}
        </p>
      )}
      {job?.result && (
        <table data-testid="what-if">
          <caption>The digital twin: the same simulated bank, seed and models for both</caption>
          <thead>
            <tr>
              <th scope="col">Figure</th>
              <th scope="col">In force</th>
              <th scope="col">The edit</th>
              <th scope="col">Difference</th>
            </tr>
          </thead>
          <tbody>
            {FIGURES.map(([k, label]) => (
              <tr key={k}>
                <td>{label}</td>
                <td>{Number(job.result!.current[k]).toLocaleString('en-GB')}</td>
                <td>{Number(job.result!.candidate[k]).toLocaleString('en-GB')}</td>
                <td>{(job.result!.delta[k] ?? 0).toLocaleString('en-GB')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
