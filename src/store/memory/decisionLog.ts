import type { DecisionLog, DecisionQuery, LinkedResponse, LoggedDecision } from '../decisionLog.js';

/** In-memory decision log (tests, simulations). Records are copied on the way out. */
export class MemoryDecisionLog implements DecisionLog {
  private readonly decisions = new Map<string, { d: LoggedDecision; responses: LinkedResponse[] }>();
  private readonly catalogues = new Map<string, unknown>();

  async append(decision: LoggedDecision): Promise<void> {
    if (this.decisions.has(decision.decisionId)) throw new Error(`decision ${decision.decisionId} is already logged`);
    // Kept by reference: a logged record is never changed afterwards (reads hand out copies).
    this.decisions.set(decision.decisionId, { d: decision, responses: [] });
  }

  async get(decisionId: string): Promise<(LoggedDecision & { responses: LinkedResponse[] }) | undefined> {
    const e = this.decisions.get(decisionId);
    return e ? { ...structuredClone(e.d), responses: e.responses.map((r) => ({ ...r })) } : undefined;
  }

  async listCustomer(customerId: string, limit: number): Promise<LoggedDecision[]> {
    return [...this.decisions.values()]
      .map((e) => e.d)
      .filter((d) => d.customerId === customerId)
      .sort((a, b) => b.decidedAt - a.decidedAt || (a.decisionId < b.decisionId ? 1 : -1))
      .slice(0, limit)
      .map((d) => structuredClone(d));
  }

  async search(q: DecisionQuery): Promise<LoggedDecision[]> {
    const b = q.before;
    return [...this.decisions.values()]
      .map((e) => e.d)
      .filter(
        (d) =>
          (q.customerId === undefined || d.customerId === q.customerId) &&
          (q.channel === undefined || d.channel === q.channel) &&
          (q.from === undefined || d.decidedAt >= q.from) &&
          (q.to === undefined || d.decidedAt < q.to) &&
          (b === undefined || d.decidedAt < b.decidedAt || (d.decidedAt === b.decidedAt && d.decisionId < b.decisionId)) &&
          (q.actionId === undefined || d.chosenActions.includes(q.actionId)),
      )
      .sort((a, b) => b.decidedAt - a.decidedAt || (a.decisionId < b.decisionId ? 1 : -1))
      .slice(0, q.limit)
      .map((d) => structuredClone(d));
  }

  async linkResponse(decisionId: string, response: LinkedResponse): Promise<boolean> {
    const e = this.decisions.get(decisionId);
    if (!e) return false;
    if (!e.responses.some((r) => r.eventId === response.eventId)) e.responses.push({ ...response });
    e.responses.sort((a, b) => a.at - b.at);
    return true;
  }

  async putCatalogue(version: string, catalogue: unknown): Promise<void> {
    if (!this.catalogues.has(version)) this.catalogues.set(version, structuredClone(catalogue));
  }

  async getCatalogue(version: string): Promise<unknown> {
    const c = this.catalogues.get(version);
    return c === undefined ? undefined : structuredClone(c);
  }

  async eraseCustomer(customerId: string): Promise<number> {
    let n = 0;
    for (const [id, e] of this.decisions) {
      if (e.d.customerId === customerId) {
        this.decisions.delete(id);
        n++;
      }
    }
    return n;
  }

  async count(): Promise<number> {
    return this.decisions.size;
  }

  async close(): Promise<void> {}
}
