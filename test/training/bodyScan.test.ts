import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.js';
import type { BankEvent } from '../../src/core/events.js';
import { BANK_PACK, FeatureSet } from '../../src/features/index.js';
import { PolicyLoop, REFERENCE_POLICIES, Twin, parseScenario } from '../../src/simulation/index.js';
import { BodyScanner, wantedTree, type Wanted } from '../../src/training/bodyScan.js';
import { CONTACT_FEATURES } from '../../src/training/definitions.js';
import { SNAPSHOT_LABELS } from '../../src/training/snapshot.js';
import { snapshotReads } from '../../src/training/snapshotReads.js';

/** A small seeded generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The wanted part of a value: under an inner node, only the wanted own fields of an object; anything else whole. */
function project(v: unknown, tree: ReadonlyMap<string, Wanted>): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, w] of tree) {
    if (!Object.hasOwn(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    out[k] = w === true ? x : project(x, w);
  }
  return out;
}

const KEYS = ['type', 'customerId', 'payload', 'amount', 'minor', 'currency', 'topics', 'a', 'b', 'é', 'k\\"q', 'uni\\u00e9', ''];
const TYPES = ['card_payment', 'login', 'odd'];
const STRINGS = ['', 'GB', 'mobile_app', 'é', '😀', 'tab\\there', 'quote\\"d', 'back\\\\slash', 'nl\\n', '\\u0000', '\\ud800', '\\uD83D\\uDE00', '\\/', 'x'.repeat(40), '"type":"login"}', 'close_account'];
const NUMBERS = ['0', '-0', '7', '-3077', '12.5', '1e5', '1E-7', '-2.5e+10', '6.02214076e23', '1e400', '-1e-400', '0.1', '123456789012345678901234567890', '9007199254740993'];

/** Random JSON text (valid), with random whitespace, key order, repeats and nesting. */
function jsonText(r: () => number, depth: number): string {
  const sp = () => (r() < 0.15 ? [' ', '\n', '\t', '\r\n  '][Math.floor(r() * 4)]! : '');
  const pick = <T,>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const x = r();
  if (depth > 0 && x < 0.25) {
    const n = Math.floor(r() * 5);
    const parts = Array.from({ length: n }, () => `${sp()}"${pick(KEYS)}"${sp()}:${sp()}${jsonText(r, depth - 1)}${sp()}`);
    return `{${parts.join(',')}${n === 0 ? sp() : ''}}`;
  }
  if (depth > 0 && x < 0.35) return `[${Array.from({ length: Math.floor(r() * 4) }, () => `${sp()}${jsonText(r, depth - 1)}${sp()}`).join(',')}]`;
  if (x < 0.6) return `"${pick(STRINGS)}"`;
  if (x < 0.85) return pick(NUMBERS);
  return pick(['true', 'false', 'null']);
}

/** A random event-shaped text: a type (usually), a customer and a payload among other fields, in any order. */
function eventText(r: () => number): string {
  const fields = [`"customerId":"c${Math.floor(r() * 100)}"`, `"payload":${r() < 0.8 ? `{"amount":{"minor":${NUMBERS[Math.floor(r() * NUMBERS.length)]},"currency":"GBP"},"topics":${jsonText(r, 2)},"a":${jsonText(r, 3)}}` : jsonText(r, 3)}`, `"eventId":"e1"`, `"schemaVersion":1`];
  if (r() < 0.95) fields.push(`"type":${r() < 0.95 ? `"${TYPES[Math.floor(r() * TYPES.length)]}"` : jsonText(r, 1)}`);
  for (let k = 0; k < 2; k++) if (r() < 0.2) fields.push(`"${KEYS[Math.floor(r() * KEYS.length)]}":${jsonText(r, 3)}`);
  for (let k = fields.length - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [fields[k], fields[j]] = [fields[j]!, fields[k]!];
  }
  return `{${fields.join(r() < 0.1 ? ' , ' : ',')}}`;
}

const TREES = new Map([
  ['card_payment', wantedTree(['type', 'customerId', 'payload.amount.minor', 'payload.a', 'payload.é'])],
  ['login', wantedTree(['type', 'payload', 'payload.topics', 'k"q', 'unié', 'payload.a.b.minor'])],
  ['odd', wantedTree(['type', 'customerId', 'payload.topics', 'payload.a.a', 'payload.a.', 'payload.amount'])],
]);

/** What a reader of `text` sees on the wanted paths of its type, through `read`. */
function seen(read: (s: string) => unknown, text: string): unknown {
  try {
    const v = read(text) as { type?: unknown };
    const tree = TREES.get(v.type as string);
    return { ok: tree ? project(v, tree) : v };
  } catch (e) {
    return { threw: String(e) };
  }
}

describe('the body scanner reads wanted fields exactly as JSON.parse does', () => {
  it('on seeded random event texts: escapes, unicode, exponent numbers, any key order, repeated keys, nesting, whitespace', () => {
    const r = rng(21);
    const scanner = new BodyScanner(TREES);
    let scanned = 0;
    for (let n = 0; n < 20_000; n++) {
      const text = eventText(r);
      const before = scanner.fallbacks;
      expect(seen((s) => scanner.read(s), text), text).toStrictEqual(seen(JSON.parse, text));
      if (scanner.fallbacks === before) scanned++;
    }
    // Most were read by the scanner, not its fallback.
    expect(scanned).toBeGreaterThan(15_000);
  });

  it('on broken texts it throws as JSON.parse throws (each cut and each byte swapped for a control character or a quote)', () => {
    const r = rng(5);
    const scanner = new BodyScanner(TREES);
    for (let n = 0; n < 120; n++) {
      const text = eventText(r);
      for (let k = 0; k < text.length; k += 3) {
        for (const broken of [text.slice(0, k), `${text.slice(0, k)}\u0001${text.slice(k + 1)}`, `${text.slice(0, k)}"${text.slice(k + 1)}`, `${text.slice(0, k)}\\${text.slice(k)}`]) {
          expect(seen((s) => scanner.read(s), broken), broken).toStrictEqual(seen(JSON.parse, broken));
        }
      }
    }
  });

  it('edge cases by hand', () => {
    const scanner = new BodyScanner(TREES);
    const cases = [
      '{"type":"card_payment","payload":{"amount":{"minor":-0}}}',
      '{"type":"card_payment","payload":{"amount":{"minor":1E+2,"minor":2.50e-3}}}',
      '{"payload":{"amount":{"minor":1}},"type":"card_payment","payload":{"amount":[1]}}',
      '{"payload":{"amount":5},"type":"card_payment"}',
      '{"type":"card_payment","type":"login","payload":{"topics":["a"]}}',
      '{"type":"card\\u005fpayment","payload":{"amount":{"minor":1}}}',
      '{"typ\\u0065":"card_payment","payload":{"amount":{"minor":1}}}',
      '{"type":"login","k\\"q":"\\ud83d\\ude00","uni\\u00e9":{"x":"é"}}',
      '{"type":"login","__proto__":{"a":1},"payload":{"topics":null}}',
      '{"type":"odd","payload":{"a":{"":1,"a":[{"minor":1}]}}}',
      ' \n{ "type" : "card_payment" , "payload" : { "amount" : { "minor" : 12 } } } \t',
      '{"type":"card_payment","payload":{"amount":{"minor":01}}}',
      '{"type":"card_payment","payload":{"amount":{"minor":1.}}}',
      '{"type":"card_payment","payload":{"amount":{"minor":-}}}',
      '{"type":"card_payment","payload":{"amount":{"minor":1}}} x',
      '{"type":"card_payment","payload":{"amount":{"minor":"\\x"}}}',
      '{"type":"card_payment","payload":{"amount":{"minor":"\\u12"}}}',
      '{"type":"card_payment","payload":{"amount":{"minor":tru}}}',
      '{"type":"card_payment",}',
      '{}',
      '[]',
      '"type"',
    ];
    for (const text of cases) expect(seen((s) => scanner.read(s), text), text).toStrictEqual(seen(JSON.parse, text));
    expect(scanner.read('{"type":"card_payment","payload":{"amount":{"minor":-0}}}')).toStrictEqual({ type: 'card_payment', payload: { amount: { minor: -0 } } });
    // A key the scanner cannot set as a plain property is read by JSON.parse.
    const proto = new BodyScanner(new Map([['login', wantedTree(['type', '__proto__.a'])]]));
    expect(proto.read('{"type":"login","__proto__":{"a":1}}')).toStrictEqual(JSON.parse('{"type":"login","__proto__":{"a":1}}'));
    expect(proto.fallbacks).toBe(1);
  });
});

/** A seeded twin bank's events (offers in the loop, a rate cut half way). */
async function twinEvents(customers: number, days: number, seed: number): Promise<BankEvent[]> {
  const scenario = parseScenario({ name: 'scan', customers, days, seed, groundTruthEveryDays: 0, marketEvents: [{ day: Math.floor(days / 2), kind: 'base_rate_change', value: 3.25, previousValue: 4.75 }] });
  const twin = new Twin(scenario);
  const loop = new PolicyLoop(twin, REFERENCE_POLICIES.random!);
  const events: BankEvent[] = [];
  for (let d = 0; d < days; d++) {
    twin.beginDay(d);
    await loop.decideToday();
    for (const e of twin.events(twin.finishDay())) events.push(e as BankEvent);
  }
  return events;
}

describe('the snapshot reads of seeded twin events', () => {
  it('are what JSON.parse gives on every field the snapshot reads, bodies as ingest stores them and key-sorted, with no fallback', async () => {
    const events = await twinEvents(80, 60, 3);
    const trees = snapshotReads(FeatureSet.compile([...BANK_PACK, ...CONTACT_FEATURES]), SNAPSHOT_LABELS);
    const scanner = new BodyScanner(trees);
    const types = new Set<string>();
    for (const e of events) {
      types.add(e.type);
      for (const body of [JSON.stringify(e), canonicalJson(e)]) {
        const tree = trees.get(e.type)!;
        expect(project(scanner.read(body), tree)).toStrictEqual(project(JSON.parse(body), tree));
      }
    }
    expect(types.size).toBeGreaterThan(12);
    expect(scanner.fallbacks).toBe(0);
  }, 60_000);
});
