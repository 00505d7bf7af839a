/**
 * Contact policy: quiet hours in the customer's time zone and the cool-down after a decline
 * (before scoring), then the frequency caps and the per-session limit (while choosing, counting
 * the actions already chosen in the same decision).
 */
import { capMatches, type CapCheck } from '../../store/contactStore.js';
import type { ContactPolicy } from '../catalogue.js';
import { inWindow } from '../view.js';
import { definePolicy, type BuiltInPolicy, type PolicyExclusion } from './policy.js';

const DAY_MS = 86_400_000;

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
  select: (s) => {
    const caps = capsFor(s.cat.catalogue.contactPolicy, s.channel);
    const counts = caps.map((cap) => s.inputs.history.contacts.filter((c) => capMatches(cap, c, s.now)).length);
    const maxSession = s.cat.catalogue.contactPolicy.maxActionsPerSession;
    const sessionId = s.inputs.sessionId;
    let session = sessionId ? s.inputs.history.contacts.filter((c) => c.sessionId === sessionId).length : 0;
    const probe = (a: { action: { family: string } }) => ({ channel: s.channel, family: a.action.family, at: s.now });
    return {
      refuse: (a) => {
        const p = probe(a);
        const broken = caps.findIndex((cap, k) => capMatches(cap, p, s.now) && counts[k]! + 1 > cap.max);
        if (broken >= 0) {
          const cap = caps[broken]!;
          return { kind: 'contact', rule: 'frequency_cap', reason: `at most ${cap.max} ${cap.family ? `${cap.family} ` : ''}contacts${cap.channel === '*' ? '' : ` by ${cap.channel}`} per ${cap.periodMs / DAY_MS} days` };
        }
        if (sessionId && maxSession !== undefined && session + 1 > maxSession) return { kind: 'contact', rule: 'session_limit', reason: `at most ${maxSession} actions per session` };
        return undefined;
      },
      take: (a) => {
        const p = probe(a);
        caps.forEach((cap, k) => {
          if (capMatches(cap, p, s.now)) counts[k]!++;
        });
        session++;
      },
    };
  },
});
