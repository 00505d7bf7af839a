/**
 * Drift over time: the PSI of a model's score and of its most shifted features at every kept
 * drift check, as a Chart.js line chart with the 0.1 / 0.25 bands, and the same numbers in a
 * table for screen readers.
 */
import { useEffect, useRef } from 'react';
import type { DriftCheckRecord } from '../../../src/store/modelRegistry';
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';

Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

/** One kept drift check (GET /v1/models/{id}/drift): the fields the chart draws. */
export type DriftCheck = Pick<DriftCheckRecord, 'checkedAt' | 'rows' | 'scorePsi' | 'features' | 'ece' | 'drifted'>;

/** The series to draw: the score, then the `limit` features with the largest PSI at any check. */
export function driftSeries(checks: readonly DriftCheck[], limit = 5): { name: string; values: number[] }[] {
  const peak = new Map<string, number>();
  for (const c of checks) for (const [f, psi] of Object.entries(c.features)) peak.set(f, Math.max(peak.get(f) ?? 0, psi));
  const top = [...peak.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([f]) => f);
  return [{ name: 'score', values: checks.map((c) => c.scorePsi) }, ...top.map((f) => ({ name: f, values: checks.map((c) => c.features[f] ?? Number.NaN) }))];
}

const PALETTE = ['#0b57d0', '#b3261e', '#1b7f4b', '#8a5a00', '#6f2da8', '#00695c'];

/** The chart and its table. */
export function DriftOverTime({ checks }: { checks: readonly DriftCheck[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const series = driftSeries(checks);
  const labels = checks.map((c) => c.checkedAt.slice(0, 16).replace('T', ' '));
  const key = JSON.stringify([labels, series]);
  useEffect(() => {
    const ctx = canvas.current?.getContext?.('2d');
    if (!ctx || checks.length === 0) return;
    const chart = new Chart(ctx, {
      type: 'line',
      data: { labels, datasets: series.map((s, i) => ({ label: s.name, data: s.values, borderColor: PALETTE[i % PALETTE.length], backgroundColor: PALETTE[i % PALETTE.length], borderWidth: s.name === 'score' ? 3 : 1.5 })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: 'PSI' } } } },
    });
    return () => chart.destroy();
  }, [key]);
  if (checks.length === 0) return <p>No drift check kept for this model yet.</p>;
  return (
    <figure className="psi" data-testid="drift-over-time">
      <div style={{ height: 260 }}>
        <canvas ref={canvas} role="img" aria-label={`PSI over ${checks.length} drift checks for the score and ${series.length - 1} features`} />
      </div>
      <table>
        <caption>PSI at each drift check (below 0.1 stable, 0.1–0.25 watch, above 0.25 shifted)</caption>
        <thead>
          <tr>
            <th scope="col">Checked</th>
            <th scope="col">Rows</th>
            {series.map((s) => (
              <th scope="col" key={s.name}>
                {s.name}
              </th>
            ))}
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c, i) => (
            <tr key={`${c.checkedAt}-${i}`}>
              <td>{labels[i]}</td>
              <td>{c.rows}</td>
              {series.map((s) => (
                <td key={s.name}>{Number.isFinite(s.values[i]!) ? s.values[i]!.toFixed(3) : '—'}</td>
              ))}
              <td>{c.drifted ? 'drifted' : 'stable'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
