/**
 * A progress bar on stderr (stdout stays clean for JSON). Redraws at most every 100 ms;
 * prints nothing when stderr is not a terminal unless `always` is set.
 */
export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly unit = 'items',
  ) {}

  update(done: number, extra = ''): void {
    const now = Date.now();
    if (!this.tty || now - this.last < 100) return;
    this.last = now;
    process.stderr.write(`\r${this.render(done, extra)}\x1b[K`);
  }

  finish(done: number, extra = ''): void {
    if (this.tty) process.stderr.write(`\r${this.render(done, extra)}\x1b[K\n`);
  }

  private render(done: number, extra: string): string {
    const secs = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const rate = `${Math.round(done / secs).toLocaleString('en-GB')} ${this.unit}/s`;
    if (this.total && this.total > 0) {
      const frac = Math.min(done / this.total, 1);
      const width = 30;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      return `${this.label} [${bar}] ${(frac * 100).toFixed(1)}% ${done.toLocaleString('en-GB')}/${this.total.toLocaleString('en-GB')} ${rate} ${extra}`;
    }
    return `${this.label} ${done.toLocaleString('en-GB')} ${this.unit} ${rate} ${extra}`;
  }
}
