/**
 * What-if runs on the twin as background jobs: a run takes seconds to a minute, so the
 * request that starts one returns at once with a job id, and the run yields to other
 * requests after every simulated day. One runs at a time; a few may wait; finished jobs
 * are kept (newest first) until the cap pushes them out. Jobs live in this process only.
 */
import { randomUUID } from 'node:crypto';
import { NextbestError, ValidationError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { compileCatalogue, parseCatalogue, type Catalogue } from '../decisioning/index.js';
import { WhatIfOptions, whatIfOnTwin, type WhatIfResult } from '../simulation/whatIf.js';
import { fieldIssues } from '../core/validate.js';

export const TWIN_JOBS_WAITING_MAX = 3;
export const TWIN_JOBS_KEPT = 20;

export interface TwinJob {
  jobId: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  stage?: 'training' | 'current' | 'candidate';
  submittedAt: string;
  startedAt?: string;
  finishedAt?: string;
  currentVersion: string;
  candidateVersion: string;
  options: WhatIfOptions;
  result?: WhatIfResult;
  error?: string;
}

interface Pending {
  job: TwinJob;
  current: Catalogue;
  candidate: Catalogue;
}

export class TwinJobs {
  private readonly jobs = new Map<string, TwinJob>();
  private readonly queue: Pending[] = [];
  private running = false;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  /** Checks the candidate and the options and queues the run; RATE_LIMITED when too many wait. */
  submit(current: { version: string; catalogue: Catalogue }, candidateInput: unknown, optionsInput: unknown): TwinJob {
    if (this.closed) throw new NextbestError('NOT_READY', 'the engine is closing');
    const candidate = compileCatalogue(parseCatalogue(candidateInput));
    const parsed = WhatIfOptions.safeParse(optionsInput ?? {});
    if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
    if (this.queue.length >= TWIN_JOBS_WAITING_MAX) throw new NextbestError('RATE_LIMITED', `${this.queue.length} what-if runs are already waiting; retry when one finishes`);
    const job: TwinJob = { jobId: `twin-${randomUUID()}`, status: 'queued', submittedAt: new Date(this.clock.now()).toISOString(), currentVersion: current.version, candidateVersion: candidate.version, options: parsed.data };
    this.jobs.set(job.jobId, job);
    this.trim();
    this.queue.push({ job, current: current.catalogue, candidate: candidate.catalogue });
    setImmediate(() => void this.next());
    return { ...job };
  }

  /** A job as it stands; NOT_FOUND when unknown or pushed out. */
  get(jobId: string): TwinJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new NextbestError('NOT_FOUND', `no what-if job ${jobId}`);
    return structuredClone(job);
  }

  /** Stops after the current simulated day; waiting jobs fail. */
  close(): void {
    this.closed = true;
    for (const p of this.queue.splice(0)) Object.assign(p.job, { status: 'failed', error: 'the engine closed' });
  }

  private async next(): Promise<void> {
    if (this.running || this.closed) return;
    const p = this.queue.shift();
    if (!p) return;
    this.running = true;
    const { job } = p;
    Object.assign(job, { status: 'running', startedAt: new Date(this.clock.now()).toISOString() });
    try {
      const pause = () =>
        new Promise<void>((resolve, reject) => setImmediate(() => (this.closed ? reject(new Error('the engine closed')) : resolve())));
      job.result = await whatIfOnTwin(p.current, p.candidate, job.options, { pause, onProgress: (stage) => (job.stage = stage) });
      job.status = 'done';
    } catch (e) {
      Object.assign(job, { status: 'failed', error: (e as Error).message });
    } finally {
      job.finishedAt = new Date(this.clock.now()).toISOString();
      delete job.stage;
      this.running = false;
      setImmediate(() => void this.next());
    }
  }

  private trim(): void {
    const finished = [...this.jobs.values()].filter((j) => j.status === 'done' || j.status === 'failed');
    for (const j of finished.slice(0, Math.max(0, this.jobs.size - TWIN_JOBS_KEPT))) this.jobs.delete(j.jobId);
  }
}
