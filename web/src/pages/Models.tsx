/**
 * Models: the registry, one model's card and metrics, and promotion or rollback. A
 * promotion the guard refuses comes back as a 422 naming each rule; the reviewer can
 * override with a reason, which the registry keeps in the model's history.
 */
import { useState } from 'react';
import { api, seg } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { PsiChart, type ColumnDrift } from '../components/PsiChart';
import { DriftOverTime, type DriftCheck } from '../components/DriftOverTime';
import { useApi } from '../hooks';
import { useSession } from '../session';

interface ModelSummary {
  id: string;
  name: string;
  version: number;
  stage: string;
  kind: string;
  createdAt: string;
  promotedAt: string | null;
  trainingWindow: { from: string; to: string };
  features: string[];
  metrics: Record<string, unknown>;
  card?: { title?: string; intendedUse?: string; limitations?: unknown };
}

const show = (v: unknown) => (typeof v === 'number' ? String(Math.round(v * 10000) / 10000) : typeof v === 'string' || typeof v === 'boolean' ? String(v) : JSON.stringify(v).slice(0, 80));

interface DriftReport {
  checkedAt: string;
  rows: number;
  window: { from: string; to: string };
  score: ColumnDrift;
  features: ColumnDrift[];
  drifted: boolean;
  reasons: string[];
}
interface ModelDetailBody {
  hasDriftReference: boolean;
  drift: DriftReport | null;
  alerts: { id: number; raisedAt: string; reasons: string[] }[];
}

/** The model's latest drift check (PSI per feature, the score's shift, the reasons and alerts) and its drift over time. */
function DriftPanel({ model }: { model: ModelSummary }) {
  const session = useSession();
  const detail = useApi<ModelDetailBody>(`/v1/models/${seg(model.id)}`);
  const history = useApi<{ checks: DriftCheck[] }>(`/v1/models/${seg(model.id)}/drift?limit=100`);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setError(null);
    try {
      await api('/v1/drift/check', { method: 'POST' });
      detail.reload();
      history.reload();
    } catch (e) {
      setError(e);
    }
  };
  const d = detail.data?.drift ?? null;
  return (
    <div>
      <h3>Drift</h3>
      <ErrorNote error={detail.error ?? error} />
      {detail.data && !detail.data.hasDriftReference && <p>This model keeps no training distribution, so it has no drift check.</p>}
      {detail.data?.hasDriftReference && !d && <p>No drift check of this model yet{model.stage === 'champion' ? '' : ' (checks run on champions)'}.</p>}
      {d && (
        <>
          <p>
            Checked {d.checkedAt.slice(0, 19)} on {d.rows} rows ({d.window.from.slice(0, 10)} .. {d.window.to.slice(0, 10)}): <strong>{d.drifted ? 'drifted' : 'stable'}</strong>; score PSI {d.score.psi.toFixed(3)}.
          </p>
          {d.reasons.length > 0 && (
            <ul>
              {d.reasons.map((r, i) => (
                <li key={i}>{r}</li>
              ))}
            </ul>
          )}
          <PsiChart columns={d.features} />
        </>
      )}
      {history.data && history.data.checks.length > 0 && (
        <>
          <h4>Over time</h4>
          <DriftOverTime checks={history.data.checks} />
        </>
      )}
      {detail.data?.hasDriftReference && model.stage === 'champion' && session.can('models:write') && (
        <button type="button" onClick={() => void run()}>
          Run the drift check now
        </button>
      )}
    </div>
  );
}

/** One model: card, metrics, and the promote / roll back controls a models:write key sees. */
function ModelDetail({ model, onChanged }: { model: ModelSummary; onChanged: () => void }) {
  const session = useSession();
  const card = useApi<string>(`/v1/models/${seg(model.id)}/card`);
  const [reason, setReason] = useState('');
  const [override, setOverride] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const act = async (what: 'promote' | 'rollback') => {
    setError(null);
    setDone(null);
    try {
      if (what === 'promote') {
        const q = override ? `?force=${encodeURIComponent(reason)}` : '';
        const r = await api<{ champion: ModelSummary }>(`/v1/models/${seg(model.id)}/promote${q}`, { method: 'POST' });
        setDone(`${r.champion.id} is now the champion of ${r.champion.name}${override ? ` (guard overridden: ${reason})` : ''}`);
      } else {
        const r = await api<{ champion: ModelSummary; retired: ModelSummary }>(`/v1/models/${seg(model.name)}/rollback`, { method: 'POST' });
        setDone(`rolled back: ${r.champion.id} is the champion again, ${r.retired.id} retired`);
      }
      onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <article className="editor">
      <h2>
        {model.card?.title ?? model.name} <small>({model.id}, {model.stage})</small>
      </h2>
      <p>
        {model.kind}, trained on {model.trainingWindow.from.slice(0, 10)} .. {model.trainingWindow.to.slice(0, 10)}, {model.features.length} features
      </p>
      <table>
        <caption>Metrics</caption>
        <tbody>
          {Object.entries(model.metrics).map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>{show(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {session.can('models:write') ? (
        <div className="promote">
          <label htmlFor="promote-reason">Reason (kept in the registry history when the guard is overridden)</label>
          <input id="promote-reason" value={reason} onChange={(e) => setReason(e.target.value)} size={60} />
          <label>
            <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} disabled={!reason.trim()} /> Override the promotion guard
          </label>
          <div className="inline">
            {model.stage !== 'champion' && (
              <button type="button" onClick={() => void act('promote')}>
                Promote {model.id}
              </button>
            )}
            {model.stage === 'champion' && (
              <button type="button" onClick={() => void act('rollback')}>
                Roll back {model.name}
              </button>
            )}
          </div>
        </div>
      ) : (
        <p className="hint">Read only: your key may not promote models (needs models:write).</p>
      )}
      <ErrorNote error={error} />
      {done && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
      <DriftPanel key={`${model.id}:${model.stage}`} model={model} />
      <details>
        <summary>Model card</summary>
        <ErrorNote error={card.error} />
        <pre className="card">{card.data ?? ''}</pre>
      </details>
    </article>
  );
}

/** The registry page. */
export function Models() {
  const list = useApi<{ models: ModelSummary[]; serving: string[] }>('/v1/models');
  const [selected, setSelected] = useState<string | null>(null);
  const model = list.data?.models.find((m) => m.id === selected) ?? null;
  return (
    <section>
      <h1>Models</h1>
      <ErrorNote error={list.error} />
      {list.data && list.data.models.length === 0 && <p>No models registered yet: run `nextbest train`.</p>}
      {list.data && list.data.models.length > 0 && (
        <table>
          <caption>Registry, newest first; serving: {list.data.serving.join(', ') || 'none'}</caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Kind</th>
              <th scope="col">Stage</th>
              <th scope="col">Created</th>
              <th scope="col">Key metric</th>
            </tr>
          </thead>
          <tbody>
            {list.data.models.map((m) => (
              <tr key={m.id} className={m.stage}>
                <td>
                  <button type="button" className="linkish" aria-pressed={m.id === selected} onClick={() => setSelected(m.id)}>
                    {m.id}
                  </button>
                </td>
                <td>{m.kind}</td>
                <td>{m.stage}</td>
                <td>{m.createdAt.slice(0, 10)}</td>
                <td>{'auc' in m.metrics ? `AUC ${show(m.metrics.auc)}` : 'concordanceTest' in m.metrics ? `C ${show(m.metrics.concordanceTest)}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {model && <ModelDetail key={model.id} model={model} onChanged={list.reload} />}
    </section>
  );
}
