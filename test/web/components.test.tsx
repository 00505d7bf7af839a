import { afterEach, describe, expect, it, vi } from 'vitest';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { Timeline, type TimelineItem } from '../../web/src/components/Timeline';
import { waterfallSteps } from '../../web/src/components/waterfall';
import { psiBand, topByPsi } from '../../web/src/components/PsiChart';
import { ErrorNote } from '../../web/src/components/ErrorNote';
import { api, ApiError, issuesOf, storedKey } from '../../web/src/api';
import { ActionEditor, issuesForPolicy, ruleChanges } from '../../web/src/pages/Catalogue';
import { arbitration } from '../../web/src/pages/DecisionExplorer';
import { describeEvent, describeScore, timelineOf } from '../../web/src/pages/Customer360';
import { grants, SessionGate, useSession } from '../../web/src/session';
import { match } from '../../web/src/router';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root | null = null;
let host: HTMLElement | null = null;
function render(node: React.ReactNode): HTMLElement {
  host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
  act(() => root!.render(node));
  return host;
}
afterEach(() => {
  act(() => root?.unmount());
  host?.remove();
  root = null;
});

describe('Timeline', () => {
  // happy-dom lays nothing out: give elements the size their inline style asks for, as a browser would.
  for (const dim of ['clientHeight', 'clientWidth', 'offsetHeight', 'offsetWidth'] as const) {
    Object.defineProperty(HTMLElement.prototype, dim, {
      configurable: true,
      get(this: HTMLElement) {
        return parseFloat(dim.endsWith('Height') ? this.style.height : this.style.width) || (dim.endsWith('Width') ? 800 : 0);
      },
    });
  }

  it('keeps only the rows in view in the DOM: 10,000 items render a few dozen rows', () => {
    const items: TimelineItem[] = Array.from({ length: 10_000 }, (_, i) => ({ key: `e${i}`, at: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(), kind: 'card_payment', summary: `payment ${i}` }));
    const el = render(<Timeline items={items} height={300} />);
    const rows = el.querySelectorAll('[role="listitem"]');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]!.textContent).toContain('payment 0');
    expect(el.querySelector('[role="list"]')!.getAttribute('aria-label')).toBe('Timeline, 10000 items');
    // The scroll height stands for every row, so the scrollbar is true to the whole list.
    const inner = el.querySelector('[role="list"] > div') as HTMLElement;
    expect(inner.style.height).toBe(`${10_000 * 30}px`);
  });
});

describe('waterfallSteps', () => {
  it('starts each step where the last ended and labels features in words', () => {
    const steps = waterfallSteps([
      { feature: 'idle_cash', value: 5000, contribution: 0.4 },
      { feature: 'logins_30d', label: 'logins in 30 days', value: 2, contribution: -0.15 },
      { feature: 'salary_detected', value: 1, contribution: 0.05 },
    ]);
    expect(steps.map((s) => [s.label, s.from, s.to])).toEqual([
      ['idle cash', 0, 0.4],
      ['logins in 30 days', 0.4, 0.25],
      ['salary detected', 0.25, expect.closeTo(0.3, 12)],
    ]);
  });
});

describe('errors', () => {
  const body = { error: { code: 'VALIDATION_FAILED', message: 'catalogue rules do not compile', details: { issues: [{ field: 'actions.1.policies.1.when', rule: 'cel', message: 'does not compile: Unexpected token: EOF' }] } } };

  it('reads the issues out of the API error body', () => {
    expect(issuesOf(body)).toEqual([{ field: 'actions.1.policies.1.when', rule: 'cel', message: 'does not compile: Unexpected token: EOF' }]);
    expect(issuesOf({ error: { code: 'NOT_FOUND', message: 'x' } })).toEqual([]);
  });

  it('puts a CEL error on the policy it names, and on no other', () => {
    const issues = issuesOf(body);
    expect(issuesForPolicy(issues, 1)).toHaveLength(1);
    expect(issuesForPolicy(issues, 0)).toHaveLength(0);
    expect(issuesForPolicy([{ field: 'policies.11.when', rule: 'cel', message: 'x' }], 1)).toHaveLength(0);
  });

  it('shows the code, the field and the rule', () => {
    const el = render(<ErrorNote error={new ApiError(422, 'VALIDATION_FAILED', 'rules do not compile', issuesOf(body))} />);
    expect(el.textContent).toContain('VALIDATION_FAILED (422)');
    expect(el.textContent).toContain('actions.1.policies.1.when broke cel');
    expect(el.querySelector('[role="alert"]')).not.toBeNull();
  });
});

describe('pages’ pure parts', () => {
  it('arbitration lists the candidates that passed, highest priority first', () => {
    const out = arbitration([
      { actionId: 'a', family: 'f', status: 'ranked', priority: 2 },
      { actionId: 'b', family: 'f', status: 'excluded' },
      { actionId: 'c', family: 'f', status: 'chosen', priority: 5 },
    ]);
    expect(out.map((c) => c.actionId)).toEqual(['c', 'a']);
  });

  it('describes events in words and merges decisions into the timeline, newest first', () => {
    const events = [
      { eventId: 'e1', occurredAt: '2025-01-01T10:00:00Z', type: 'card_payment', payload: { amount: { minor: -7999, currency: 'GBP' }, merchantCountry: 'GB' } },
      { eventId: 'e2', occurredAt: '2025-01-03T10:00:00Z', type: 'offer_response', payload: { decisionId: 'd-1', actionId: 'cc_travel', channel: 'push', response: 'clicked' } },
    ];
    expect(describeEvent(events[0]!)).toBe('-79.99 GBP · merchantCountry=GB');
    const items = timelineOf(events, [{ decisionId: 'd-2', decidedAt: '2025-01-02T09:00:00Z', channel: 'email', chosen: [{ actionId: 'x', name: 'X offer' }] }]);
    expect(items.map((i) => i.kind)).toEqual(['offer_response', 'decision', 'card_payment']);
    expect(items[0]!.onOpen).toBeTypeOf('function');
    expect(items[2]!.onOpen).toBeUndefined();
  });

  it('grants a scope held directly or through admin, and nothing else', () => {
    expect(grants(['admin'], 'catalogue:write')).toBe(true);
    expect(grants(['audit:read'], 'audit:read')).toBe(true);
    expect(grants(['audit:read', 'profiles:read'], 'catalogue:write')).toBe(false);
  });

  it('matches console paths and decodes their ids', () => {
    expect(match('/customers/:id', '/customers/c%2F1')).toEqual({ id: 'c/1' });
    expect(match('/customers/:id', '/customers')).toBeNull();
  });
});

describe('ActionEditor', () => {
  const action = { id: 'cc_travel', name: 'Travel card', family: 'credit_card', treatments: { push: { title: 'No fees abroad' } }, policies: [{ kind: 'applicability', when: 'signals.travels', reason: 'no spending abroad' }] };

  it('shows a read-only key no edit buttons and no editable rule', () => {
    const el = render(<ActionEditor action={action} version="v1" canEdit={false} onSaved={() => {}} />);
    const buttons = [...el.querySelectorAll('button')].map((b) => b.textContent);
    expect(buttons).toEqual([]);
    expect((el.querySelector('#policy-0') as HTMLTextAreaElement).readOnly).toBe(true);
    expect(el.textContent).toContain('needs catalogue:write');
    expect(el.textContent).toContain('push');
  });

  it('gives a key with catalogue:write the rule editor and publish', () => {
    const el = render(<ActionEditor action={action} version="v1" canEdit={true} onSaved={() => {}} />);
    const buttons = [...el.querySelectorAll('button')].map((b) => b.textContent);
    expect(buttons).toEqual(expect.arrayContaining(['Add a rule', 'Publish as a new catalogue version', 'Remove rule 0']));
    expect((el.querySelector('#policy-0') as HTMLTextAreaElement).readOnly).toBe(false);
  });
});

describe('PSI', () => {
  it('bands PSI at 0.1 and 0.25 and lists the largest first', () => {
    expect([0, 0.099, 0.1, 0.249, 0.25, 3].map(psiBand)).toEqual(['stable', 'stable', 'watch', 'watch', 'shifted', 'shifted']);
    const cols = [0.05, 0.4, 0.2, 1.1].map((psi, i) => ({ name: `f${i}`, psi, ksStatistic: 0, ksPValue: 1, drifted: psi > 0.25 }));
    expect(topByPsi(cols, 3).map((c) => c.name)).toEqual(['f3', 'f1', 'f2']);
    expect(cols.map((c) => c.name)).toEqual(['f0', 'f1', 'f2', 'f3']);
  });
});

describe('describeScore', () => {
  it('puts each score in words', () => {
    expect(describeScore('churn', null)).toBe('not scored (no model in force)');
    expect(describeScore('churn', { probability: 0.308632, horizonDays: 90, model: 'churn_cox@1' })).toBe('30.9% within 90 days (churn_cox@1)');
    expect(describeScore('segment', { id: 5, name: 'Low balances', model: 'segments@1' })).toBe('Low balances (segments@1)');
    expect(describeScore('clv', { value: 495.95, currency: 'GBP', probabilityAlive: 0.999884, model: 'clv@1' })).toBe('496 GBP, 100.0% still active (clv@1)');
    expect(describeScore('stress', { state: 'current', basis: 'missed repayments 0' })).toBe('current: missed repayments 0');
    expect(describeScore('propensities', { guidance: { probability: 0.142918, model: 'propensity_guidance@1' } })).toBe('guidance 14.3%');
    expect(describeScore('propensities', {})).toBe('none scored');
    expect(describeScore('retention', { leavingGivenTakeUp: 0.912, takeUp: 0.19, churnRisk: 0.4, model: 'retention_take_up@1' })).toBe('19.0% take-up of a retention offer; a taker is leaving with 91.2% (retention_take_up@1)');
  });
});

describe('SessionGate', () => {
  const reply = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  function Who() {
    const s = useSession();
    return <p id="who">{`${s.who.id} ${s.can('catalogue:write') ? 'may edit' : 'read only'}`}</p>;
  }
  const settle = () => act(async () => new Promise((r) => setTimeout(r, 0)));

  it('logs in with a key the server accepts, sends it as a bearer token, and logs out when the server stops accepting it', async () => {
    sessionStorage.clear();
    const seen: (string | null)[] = [];
    let accept = true;
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      seen.push(new Headers(init.headers).get('authorization'));
      return accept ? reply(200, { id: 'k1', kind: 'api_key', scopes: ['audit:read'] }) : reply(401, { error: { code: 'UNAUTHORIZED', message: 'API key k1 was revoked' } });
    });
    try {
      const el = render(<SessionGate><Who /></SessionGate>);
      const input = el.querySelector('#api-key') as HTMLInputElement;
      await act(async () => {
        const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
        setter.call(input, 'nbk_k1_secret');
        input.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await act(async () => (el.querySelector('form') as HTMLFormElement).requestSubmit());
      await settle();
      expect(el.querySelector('#who')?.textContent).toBe('k1 read only');
      expect(seen).toEqual(['Bearer nbk_k1_secret']);
      expect(storedKey()).toBe('nbk_k1_secret');

      accept = false;
      await act(async () => {
        await expect(api('/v1/models')).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
      });
      await settle();
      expect(el.querySelector('#who')).toBeNull();
      expect(el.querySelector('[role="alert"]')?.textContent).toContain('no longer accepts this key');
      expect(storedKey()).toBeNull();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('ruleChanges', () => {
  const before = { id: 'cc_travel', policies: [{ kind: 'applicability', when: 'signals.travels', reason: 'no spending abroad' }], contextWeight: 'signals.travels ? 2.0 : 0.6' };
  it('lists each change to review, and nothing when nothing changed', () => {
    expect(ruleChanges(before, before.policies, before.contextWeight)).toEqual([]);
    expect(
      ruleChanges(before, [{ kind: 'applicability', when: 'false', reason: 'paused' }, { kind: 'suitability', when: 'customer.age >= 18', reason: 'adults only' }], ''),
    ).toEqual(['cc_travel#0 when: signals.travels → false', 'cc_travel#0 reason: no spending abroad → paused', 'add cc_travel#1 (suitability): customer.age >= 18', 'context weight: signals.travels ? 2.0 : 0.6 → (none)']);
    expect(ruleChanges(before, [], before.contextWeight)).toEqual(['remove cc_travel#0 (applicability): signals.travels']);
  });
});
