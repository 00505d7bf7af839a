/**
 * One simulated day's events in columns (no objects), so a million customers' day fits
 * in a few hundred MB and sorts by time in linear time. Columns `a`, `b`, `c` hold the
 * type-specific codes and `amount`, `amount2` the money (pence); see encode.ts.
 */
export const T = {
  deposit: 0, withdrawal: 1, card_payment: 2, transfer_in: 3, transfer_out: 4, salary: 5, loan_application: 6, loan_repayment: 7,
  investment_trade: 8, balance_snapshot: 9, login: 10, screen_view: 11, feature_use: 12, email_open: 13, email_click: 14, push_open: 15,
  contact_centre: 16, life_event: 17, offer_response: 18, consent_change: 19,
} as const;
export const TYPE_NAMES = Object.keys(T) as (keyof typeof T)[];
const SECONDS_PER_DAY = 86_400;

export class DayBuffer {
  length = 0;
  sec: Int32Array;
  cust: Int32Array;
  type: Uint8Array;
  a: Int32Array;
  b: Int32Array;
  c: Int32Array;
  amount: Float64Array;
  amount2: Float64Array;
  seq: Uint32Array;
  private order = new Int32Array(0);
  private readonly counts = new Int32Array(SECONDS_PER_DAY + 1);

  constructor(capacity = 1024) {
    this.sec = new Int32Array(capacity);
    this.cust = new Int32Array(capacity);
    this.type = new Uint8Array(capacity);
    this.a = new Int32Array(capacity);
    this.b = new Int32Array(capacity);
    this.c = new Int32Array(capacity);
    this.amount = new Float64Array(capacity);
    this.amount2 = new Float64Array(capacity);
    this.seq = new Uint32Array(capacity);
  }

  /** Appends one event; `sec` is the second of the day (0..86399). Returns its slot. */
  push(sec: number, cust: number, type: number, seq: number, a = 0, b = 0, c = 0, amount = 0, amount2 = 0): number {
    if (this.length === this.sec.length) this.grow();
    const k = this.length++;
    this.sec[k] = sec;
    this.cust[k] = cust;
    this.type[k] = type;
    this.seq[k] = seq;
    this.a[k] = a;
    this.b[k] = b;
    this.c[k] = c;
    this.amount[k] = amount;
    this.amount2[k] = amount2;
    return k;
  }

  clear(): void {
    this.length = 0;
  }

  /** Slots in event-time order; ties keep insertion order (a stable counting sort), so output is deterministic. */
  sorted(): Int32Array {
    const counts = this.counts;
    counts.fill(0);
    const n = this.length;
    for (let k = 0; k < n; k++) counts[this.sec[k]! + 1]!++;
    for (let s = 1; s <= SECONDS_PER_DAY; s++) counts[s] = counts[s]! + counts[s - 1]!;
    if (this.order.length < n) this.order = new Int32Array(this.sec.length);
    const order = this.order;
    for (let k = 0; k < n; k++) order[counts[this.sec[k]!]!++] = k;
    return order.subarray(0, n);
  }

  private grow(): void {
    const cap = this.sec.length * 2;
    const g = <A extends Int32Array | Uint8Array | Float64Array | Uint32Array>(old: A, make: (n: number) => A): A => {
      const next = make(cap);
      next.set(old);
      return next;
    };
    this.sec = g(this.sec, (n) => new Int32Array(n));
    this.cust = g(this.cust, (n) => new Int32Array(n));
    this.type = g(this.type, (n) => new Uint8Array(n));
    this.a = g(this.a, (n) => new Int32Array(n));
    this.b = g(this.b, (n) => new Int32Array(n));
    this.c = g(this.c, (n) => new Int32Array(n));
    this.amount = g(this.amount, (n) => new Float64Array(n));
    this.amount2 = g(this.amount2, (n) => new Float64Array(n));
    this.seq = g(this.seq, (n) => new Uint32Array(n));
  }
}
