/**
 * Decision explorer: one logged decision's chosen actions, the arbitration between the
 * candidates (priority = propensity × context weight × value × lever), the exclusions with
 * their rules, the winner's reason codes and SHAP waterfall, and a replay side by side.
 */
import { useState } from 'react';
import { api, seg } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { Waterfall } from '../components/Waterfall';
import type { Contribution } from '../components/waterfall';
import { useApi } from '../hooks';
import { Link, navigate } from '../router';
import { useSession } from '../session';
import { DecisionSearch } from './DecisionSearch';

interface Chosen {
  actionId: string;
  name: string;
  channel: string;
  rank: number;
  priority: number;
  propensity: number;
  headline: string;
}
interface Candidate {
  actionId: string;
  family: string;
  status: 'chosen' | 'ranked' | 'excluded';
  excludedBy?: { kind: string; rule: string; reason: string };
  propensity?: number;
  propensitySource?: string;
  modelVersion?: string;
  contextWeight?: number;
  value?: number;
  lever?: number;
  priority?: number;
  rank?: number;
}
/** The logged decision record, as far as the explorer reads it. */
export interface DecisionRecord {
  decisionId: string;
  customerId: string;
  channel: string;
  decidedAt: string;
  catalogueVersion: string;
  chosen: Chosen[];
  candidates: Candidate[];
  explanation: {
    excluded: { actionId: string; kind: string; rule: string; reason: string }[];
    winner?: { actionId: string; reasonCodes: { code: string; text: string }[]; topContributions: Contribution[]; customerSentence: string };
  };
  responses?: { actionId: string; channel: string; response: string; at: string }[];
}
interface Replay {
  identical: boolean;
  differences: string[];
  replayed: Partial<DecisionRecord>;
}

const n3 = (x: number | undefined) => (x === undefined ? '—' : x.toPrecision(3));

/** The candidates that reached arbitration, best first. */
export function arbitration(candidates: readonly Candidate[]): Candidate[] {
  return candidates.filter((c) => c.status !== 'excluded').sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0));
}

function ChosenList({ chosen, title }: { chosen: readonly Chosen[]; title: string }) {
  return (
    <div>
      <h3>{title}</h3>
      {chosen.length === 0 ? (
        <p>Nothing chosen.</p>
      ) : (
        <ol>
          {chosen.map((c) => (
            <li key={c.actionId}>
              <strong>{c.name}</strong> ({c.actionId}) — priority {n3(c.priority)}, propensity {n3(c.propensity)}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** The search box for a decision id. */
function FindDecision({ initial }: { initial: string }) {
  const [id, setId] = useState(initial);
  return (
    <form
      className="inline"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim()) navigate(`/decisions/${seg(id.trim())}`);
      }}
    >
      <label htmlFor="decision-id">Decision id</label>
      <input id="decision-id" value={id} onChange={(e) => setId(e.target.value)} placeholder="d-…" size={44} />
      <button type="submit">Open</button>
    </form>
  );
}

/** The explorer for one decision (or the search box when none is named). */
export function DecisionExplorer({ decisionId }: { decisionId: string | null }) {
  const session = useSession();
  const d = useApi<DecisionRecord>(decisionId ? `/v1/decisions/${seg(decisionId)}` : null);
  const [replay, setReplay] = useState<Replay | null>(null);
  const [replayError, setReplayError] = useState<unknown>(null);
  const rec = d.data;
  const runReplay = async () => {
    setReplayError(null);
    try {
      setReplay(await api<Replay>(`/v1/decisions/${seg(decisionId!)}/replay`, { method: 'POST' }));
    } catch (e) {
      setReplayError(e);
    }
  };
  return (
    <section>
      <h1>Decision explorer</h1>
      <FindDecision initial={decisionId ?? ''} />
      {!decisionId && <p className="hint">Open a decision by id, find decisions below, or open one from a customer's timeline.</p>}
      {!decisionId && session.can('audit:read') && <DecisionSearch />}
      <ErrorNote error={d.error} />
      {rec && (
        <>
          <p>
            <strong>{rec.decisionId}</strong> for <Link to={`/customers/${seg(rec.customerId)}`}>{rec.customerId}</Link> on {rec.channel} at {rec.decidedAt}, catalogue {rec.catalogueVersion}
          </p>
          <div className="cards">
            <article>
              <ChosenList chosen={rec.chosen} title="Chosen" />
            </article>
            {rec.explanation.winner && (
              <article>
                <h3>Why {rec.explanation.winner.actionId}</h3>
                <p className="sentence">“{rec.explanation.winner.customerSentence}”</p>
                <ul>
                  {rec.explanation.winner.reasonCodes.map((r) => (
                    <li key={r.code}>
                      <code>{r.code}</code> {r.text}
                    </li>
                  ))}
                </ul>
              </article>
            )}
          </div>
          <h2>Explanation: SHAP waterfall</h2>
          <Waterfall contributions={rec.explanation.winner?.topContributions ?? []} />
          <h2>Arbitration</h2>
          <table data-testid="arbitration">
            <caption>Candidates that passed every policy; priority = propensity × context weight × value × lever</caption>
            <thead>
              <tr>
                <th scope="col">Rank</th>
                <th scope="col">Action</th>
                <th scope="col">Propensity</th>
                <th scope="col">Source</th>
                <th scope="col">Context weight</th>
                <th scope="col">Value £</th>
                <th scope="col">Lever</th>
                <th scope="col">Priority</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {arbitration(rec.candidates).map((c) => (
                <tr key={c.actionId} className={c.status}>
                  <td>{c.rank ?? '—'}</td>
                  <td>{c.actionId}</td>
                  <td>{n3(c.propensity)}</td>
                  <td>{c.propensitySource === 'model' ? c.modelVersion : (c.propensitySource ?? '—')}</td>
                  <td>{n3(c.contextWeight)}</td>
                  <td>{c.value === undefined ? '—' : Math.round(c.value)}</td>
                  <td>{n3(c.lever)}</td>
                  <td>{n3(c.priority)}</td>
                  <td>{c.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Exclusions ({rec.explanation.excluded.length})</h2>
          <table data-testid="exclusions">
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Policy</th>
                <th scope="col">Rule</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {rec.explanation.excluded.map((x) => (
                <tr key={x.actionId}>
                  <td>{x.actionId}</td>
                  <td>{x.kind}</td>
                  <td>
                    <code>{x.rule}</code>
                  </td>
                  <td>{x.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rec.responses && rec.responses.length > 0 && (
            <>
              <h2>Responses</h2>
              <ul>
                {rec.responses.map((r, i) => (
                  <li key={i}>
                    {r.at}: {r.response} {r.actionId} on {r.channel}
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>Replay</h2>
          <button type="button" onClick={() => void runReplay()}>
            Replay from the logged inputs
          </button>
          <ErrorNote error={replayError} />
          {replay && (
            <div className="cards" aria-live="polite">
              <article>
                <ChosenList chosen={rec.chosen} title="As decided" />
              </article>
              <article>
                <ChosenList chosen={replay.replayed.chosen ?? []} title="Replayed" />
              </article>
              <article>
                <h3>{replay.identical ? 'Identical' : 'Different'}</h3>
                {replay.differences.length > 0 ? (
                  <ul>
                    {replay.differences.map((x, i) => (
                      <li key={i}>{x}</li>
                    ))}
                  </ul>
                ) : (
                  <p>The replay gives the same result from the logged inputs.</p>
                )}
              </article>
            </div>
          )}
        </>
      )}
    </section>
  );
}
