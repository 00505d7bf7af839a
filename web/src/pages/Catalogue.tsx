/**
 * Catalogue and policies: every action with its treatments per channel; an action's
 * policies (CEL) edited in place, checked by the server's compiler as they are typed (errors
 * on the rule they name), tried on sample customers and on the twin, and published as a new
 * catalogue version; the list of catalogue versions and the changes between two of them.
 */
import { useEffect, useState } from 'react';
import { api, ApiError, seg, type FieldIssue } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { useApi } from '../hooks';
import { useSession } from '../session';
import { TryCandidate, VersionDiff } from './CatalogueTry';

interface Policy {
  kind: string;
  when: string;
  reason: string;
  because?: string;
}
/** An action as the catalogue holds it (the rest of its fields are kept as they are). */
export interface Action {
  id: string;
  name: string;
  family: string;
  purpose?: string;
  treatments: Record<string, Record<string, string>>;
  policies?: Policy[];
  contextWeight?: string;
  [more: string]: unknown;
}
/** The kinds of rule the catalogue knows (src/decisioning/catalogue.ts). */
const POLICY_KINDS = ['eligibility', 'applicability', 'suitability', 'consent'] as const;

interface VersionInfo {
  version: string;
  createdAt: string;
  author: string | null;
  source: string;
  replaces: string | null;
}

/** The issues that name rule `index` of the edited action's policies (`...policies.<i>.when`). */
export function issuesForPolicy(issues: readonly FieldIssue[], index: number): FieldIssue[] {
  return issues.filter((i) => new RegExp(`(^|\\.)policies\\.${index}(\\.|$)`).test(i.field));
}

/** What an edit changes in an action's rules, one line each, for review before publishing. */
export function ruleChanges(before: Pick<Action, 'id' | 'policies' | 'contextWeight'>, policies: readonly Policy[], contextWeight: string): string[] {
  const out: string[] = [];
  const old = before.policies ?? [];
  for (let i = 0; i < Math.max(old.length, policies.length); i++) {
    const a = old[i];
    const b = policies[i];
    const name = `${before.id}#${i}`;
    if (!a && b) out.push(`add ${name} (${b.kind}): ${b.when}`);
    else if (a && !b) out.push(`remove ${name} (${a.kind}): ${a.when}`);
    else if (a && b) {
      if (a.kind !== b.kind) out.push(`${name} kind: ${a.kind} → ${b.kind}`);
      if (a.when !== b.when) out.push(`${name} when: ${a.when} → ${b.when}`);
      if (a.reason !== b.reason) out.push(`${name} reason: ${a.reason} → ${b.reason}`);
    }
  }
  const cw = contextWeight.trim();
  if ((before.contextWeight ?? '') !== cw) out.push(`context weight: ${before.contextWeight ?? '(none)'} → ${cw || '(none)'}`);
  return out;
}

/** The whole catalogue with one action's edited rules in place: what validate, dry run and what-if are asked about. */
export function withEditedAction(catalogue: { actions: Action[] } & Record<string, unknown>, edited: Action): { actions: Action[] } & Record<string, unknown> {
  return { ...catalogue, actions: catalogue.actions.map((a) => (a.id === edited.id ? edited : a)) };
}

/** The issues a whole-catalogue check raised about the action at `index`, renamed as if the action alone had been sent. */
export function issuesForAction(issues: readonly FieldIssue[], index: number): FieldIssue[] {
  const prefix = `actions.${index}.`;
  return issues.filter((i) => i.field.startsWith(prefix)).map((i) => ({ ...i, field: i.field.slice(prefix.length) }));
}

/** The editor of one action's rules (with the whole catalogue, its edits are checked as they are typed and can be tried first). */
export function ActionEditor({ action, version, canEdit, onSaved, catalogue }: { action: Action; version: string; canEdit: boolean; onSaved: (v: string) => void; catalogue?: { actions: Action[] } & Record<string, unknown> }) {
  const [policies, setPolicies] = useState<Policy[]>(action.policies ?? []);
  const [contextWeight, setContextWeight] = useState(action.contextWeight ?? '');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // A new action starts a fresh edit; the same action re-read after publishing keeps the outcome on screen.
  useEffect(() => {
    setPolicies(action.policies ?? []);
    setContextWeight(action.contextWeight ?? '');
    setError(null);
    setSaved(null);
  }, [action.id]);
  const [live, setLive] = useState<FieldIssue[]>([]);
  const changes = ruleChanges(action, policies, contextWeight);
  const edited: Action = { ...action, policies };
  if (contextWeight.trim()) edited.contextWeight = contextWeight.trim();
  else delete edited.contextWeight;
  const candidate = catalogue ? withEditedAction(catalogue, edited) : null;
  const candidateJson = candidate ? JSON.stringify(candidate) : null;
  // Validate as you type: the server's own compiler, half a second after the last keystroke.
  useEffect(() => {
    // An edit after a failed publish: the compiler's answer to this text replaces that error.
    setError(null);
    if (!canEdit || !candidateJson || changes.length === 0) return setLive([]);
    const index = catalogue!.actions.findIndex((a) => a.id === action.id);
    const t = setTimeout(() => {
      api('/v1/catalogue/validate', { method: 'POST', body: JSON.parse(candidateJson) as unknown }).then(
        () => setLive([]),
        (e) => setLive(e instanceof ApiError ? issuesForAction(e.issues, index) : []),
      );
    }, 500);
    return () => clearTimeout(t);
  }, [candidateJson, canEdit]);
  const issues = error instanceof ApiError ? error.issues : live;
  const publish = async () => {
    setBusy(true);
    setError(null);
    setSaved(null);
    const body = edited;
    try {
      const r = await api<{ catalogueVersion: string }>(`/v1/actions/${seg(action.id)}`, { method: 'PUT', body, headers: { 'if-match': `"${version}"` } });
      setSaved(r.catalogueVersion);
      onSaved(r.catalogueVersion);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className="editor">
      <h2>
        {action.name} <small>({action.id})</small>
      </h2>
      <table>
        <caption>Treatments per channel</caption>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Treatment</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(action.treatments).map(([ch, t]) => (
            <tr key={ch}>
              <td>{ch}</td>
              <td>{Object.entries(t).map(([k, v]) => `${k}: ${v}`).join(' · ') || '(default message)'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Policies (CEL)</h3>
      {policies.map((p, i) => {
        const mine = issuesForPolicy(issues, i);
        const set = (patch: Partial<Policy>) => setPolicies((ps) => ps.map((q, j) => (j === i ? { ...q, ...patch } : q)));
        return (
          <fieldset key={i} className={`policy${mine.length ? ' invalid' : ''}`}>
            <legend>
              Rule {action.id}#{i}
            </legend>
            <div className="inline">
              <label htmlFor={`policy-${i}-kind`}>Kind</label>
              <select id={`policy-${i}-kind`} value={p.kind} disabled={!canEdit} onChange={(e) => set({ kind: e.target.value })}>
                {POLICY_KINDS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
              <label htmlFor={`policy-${i}-reason`}>Reason when it fails</label>
              <input id={`policy-${i}-reason`} value={p.reason} readOnly={!canEdit} onChange={(e) => set({ reason: e.target.value })} size={40} />
            </div>
            <label htmlFor={`policy-${i}`}>Applies when (CEL)</label>
            <textarea
              id={`policy-${i}`}
              rows={2}
              value={p.when}
              readOnly={!canEdit}
              aria-invalid={mine.length > 0}
              aria-describedby={mine.length ? `policy-${i}-error` : undefined}
              onChange={(e) => set({ when: e.target.value })}
            />
            {mine.length > 0 && (
              <p id={`policy-${i}-error`} className="error" role="alert">
                {mine.map((m) => `${m.rule}: ${m.message}`).join('; ')}
              </p>
            )}
            {canEdit && (
              <button type="button" className="secondary" onClick={() => setPolicies((ps) => ps.filter((_, j) => j !== i))}>
                Remove rule {i}
              </button>
            )}
          </fieldset>
        );
      })}
      {canEdit && (
        <button type="button" className="secondary" onClick={() => setPolicies((ps) => [...ps, { kind: 'applicability', when: 'true', reason: '' }])}>
          Add a rule
        </button>
      )}
      <div className="policy">
        <label htmlFor="context-weight">Context weight (CEL, optional)</label>
        <input id="context-weight" value={contextWeight} readOnly={!canEdit} onChange={(e) => setContextWeight(e.target.value)} size={50} />
      </div>
      {canEdit && (
        <div className="changes">
          <h3>Changes to publish</h3>
          {changes.length === 0 ? (
            <p className="hint">None yet.</p>
          ) : (
            <ul>
              {changes.map((c, i) => (
                <li key={i}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {canEdit ? (
        <button type="button" onClick={() => void publish()} disabled={busy || changes.length === 0}>
          {busy ? 'Publishing…' : 'Publish as a new catalogue version'}
        </button>
      ) : (
        <p className="hint">Read only: your key may not change the catalogue (needs catalogue:write).</p>
      )}
      {canEdit && candidate && changes.length > 0 && live.length === 0 && <TryCandidate candidate={candidate} />}
      <ErrorNote error={error} />
      {saved && (
        <p role="status" className="ok">
          Published: catalogue version <code>{saved}</code> is now in force.
        </p>
      )}
    </article>
  );
}

/** The catalogue page. */
export function Catalogue() {
  const session = useSession();
  const actions = useApi<{ catalogueVersion: string; actions: Action[] }>('/v1/actions');
  const versions = useApi<{ current: string; versions: VersionInfo[] }>('/v1/catalogue/versions');
  const whole = useApi<{ catalogueVersion: string; catalogue: { actions: Action[] } & Record<string, unknown> }>(actions.data ? `/v1/catalogue?version=${actions.data.catalogueVersion}` : null);
  const [selected, setSelected] = useState<string | null>(null);
  const all = actions.data?.actions ?? [];
  const action = all.find((a) => a.id === selected) ?? null;
  const onSaved = () => {
    actions.reload();
    versions.reload();
  };
  return (
    <section>
      <h1>Catalogue and policies</h1>
      <ErrorNote error={actions.error} />
      {actions.data && (
        <p>
          Catalogue version in force: <code data-testid="catalogue-version">{actions.data.catalogueVersion}</code>, {all.length} actions.
        </p>
      )}
      <div className="split">
        <nav aria-label="Actions">
          <ul className="picklist">
            {all.map((a) => (
              <li key={a.id}>
                <button type="button" aria-pressed={a.id === selected} onClick={() => setSelected(a.id)}>
                  {a.id}
                </button>
                <span className="hint"> {Object.keys(a.treatments).join(', ')}</span>
              </li>
            ))}
          </ul>
        </nav>
        <div>{action && actions.data ? <ActionEditor action={action} version={actions.data.catalogueVersion} canEdit={session.can('catalogue:write')} onSaved={onSaved} {...(whole.data ? { catalogue: whole.data.catalogue } : {})} /> : <p className="hint">Pick an action to see its treatments and edit its policies.</p>}</div>
      </div>
      {versions.data && versions.data.versions.length > 1 && <VersionDiff versions={versions.data.versions} current={versions.data.current} />}
      <h2>Versions</h2>
      <ErrorNote error={versions.error} />
      {versions.data && (
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Stored</th>
              <th scope="col">Source</th>
              <th scope="col">Author</th>
              <th scope="col">Replaces</th>
            </tr>
          </thead>
          <tbody>
            {versions.data.versions.map((v) => (
              <tr key={v.version} className={v.version === versions.data!.current ? 'current' : ''}>
                <td>
                  <code>{v.version}</code>
                  {v.version === versions.data!.current ? ' (in force)' : ''}
                </td>
                <td>{v.createdAt}</td>
                <td>{v.source}</td>
                <td>{v.author ?? '—'}</td>
                <td>{v.replaces ? <code>{v.replaces}</code> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
