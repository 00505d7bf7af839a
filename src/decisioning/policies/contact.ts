/**
 * Contact policy: quiet hours in the customer's time zone and the cool-down after a decline
 * (before scoring), then the frequency caps and the per-session limit (while choosing, counting
 * the actions already chosen in the same decision).
 */
import { capCountsAtCommit, capMatches, type CapCheck } from '../../store/contactStore.js';
import type { ContactPolicy } from '../catalogue.js';
import { inWindow } from '../view.js';
import type { CompiledAction } from '../compile.js';
import { definePolicy, type BuiltInPolicy, type PolicyExclusion, type SelectionCheck, type SelectionScope } from './policy.js';

import { MS_PER_DAY as DAY_MS } from '../../core/clock.js';

const capsByChannel = new WeakMap<ContactPolicy, Map<string, readonly CapCheck[]>>();

/** The contact caps that bind a decision on `channel`, as store checks (built once per catalogue and channel). */
export function capsFor(policy: ContactPolicy, channel: string): readonly CapCheck[] {
  let byChannel = capsByChannel.get(policy);
  if (!byChannel) capsByChannel.set(policy, (byChannel = new Map()));
  let caps = byChannel.get(channel);
  if (!caps) {
    caps = Object.freeze(
      policy.caps
        .filter((c) => c.channel === '*' || c.channel === channel)
        .map((c) => Object.freeze({ channel: c.channel, ...(c.family ? { family: c.family } : {}), max: c.max, periodMs: c.periodDays * DAY_MS })),
    );
    byChannel.set(channel, caps);
  }
  return caps;
}

export const contact: BuiltInPolicy<'contact', false> = definePolicy({
  kind: 'contact',
  catalogueRules: false,
  screen: (d) => {
    const cp = d.cat.catalogue.contactPolicy;
    const quiet = cp.quietHours !== undefined && cp.quietHours.channels.includes(d.channel as never) && inWindow(d.local.hour, d.local.minute, cp.quietHours.start, cp.quietHours.end);
    const quietHours: Readonly<PolicyExclusion<'contact'>> | undefined = quiet ? Object.freeze({ kind: 'contact', rule: 'quiet_hours', reason: `quiet hours in the customer's time zone (${d.inputs.customer.timeZone})` }) : undefined;
    const declines = d.inputs.history.declines;
    if (!quietHours && declines.length === 0) return undefined;
    return (a): Readonly<PolicyExclusion<'contact'>> | undefined => {
      if (quietHours) return quietHours;
      const days = a.action.declineCooldownDays ?? cp.declineCooldownDays;
      const since = d.now - days * DAY_MS;
      if (days > 0 && declines.some((x) => x.actionId === a.action.id && x.at > since && x.at <= d.now)) {
        return { kind: 'contact', rule: 'decline_cooldown', reason: `declined in the last ${days} days` };
      }
      return undefined;
    };
  },
  select: (s) => new ContactSelection(s),
});

/** Frequency caps and the session limit while choosing, counting the contacts already chosen (a class: no closures per decision). */
class ContactSelection implements SelectionCheck<'contact'> {
  private readonly caps: readonly CapCheck[];
  private readonly counts: number[];
  private readonly maxSession: number | undefined;
  private session: number;

  constructor(private readonly s: SelectionScope) {
    this.caps = capsFor(s.cat.catalogue.contactPolicy, s.channel);
    // As the store counts at commit: a contact timed a moment after this decision (another
    // instance's, committed first) counts, or the re-selection after a refusal would repeat it.
    this.counts = this.caps.map((cap) => s.inputs.history.contacts.filter((c) => capCountsAtCommit(cap, c, s.now)).length);
    this.maxSession = s.cat.catalogue.contactPolicy.maxActionsPerSession;
    const sessionId = s.inputs.sessionId;
    this.session = sessionId ? s.inputs.history.contacts.filter((c) => c.sessionId === sessionId).length : 0;
  }

  refuse(a: CompiledAction): PolicyExclusion<'contact'> | undefined {
    const { caps, counts, s } = this;
    const p = { channel: s.channel, family: a.action.family, at: s.now };
    for (let k = 0; k < caps.length; k++) {
      const cap = caps[k]!;
      if (capMatches(cap, p, s.now) && counts[k]! + 1 > cap.max) {
        return { kind: 'contact', rule: 'frequency_cap', reason: `at most ${cap.max} ${cap.family ? `${cap.family} ` : ''}contacts${cap.channel === '*' ? '' : ` by ${cap.channel}`} per ${cap.periodMs / DAY_MS} days` };
      }
    }
    if (s.inputs.sessionId && this.maxSession !== undefined && this.session + 1 > this.maxSession) return { kind: 'contact', rule: 'session_limit', reason: `at most ${this.maxSession} actions per session` };
    return undefined;
  }

  take(a: CompiledAction): void {
    const { caps, counts, s } = this;
    const p = { channel: s.channel, family: a.action.family, at: s.now };
    for (let k = 0; k < caps.length; k++) if (capMatches(caps[k]!, p, s.now)) counts[k]!++;
    this.session++;
  }
}
