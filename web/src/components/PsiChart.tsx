/**
 * Population stability per feature from a model's latest drift check: a Chart.js bar chart
 * of the largest PSIs with the 0.1 / 0.25 bands the usual rule of thumb reads, and a table.
 */
import { useEffect, useRef } from 'react';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** One column of a drift report. */
export interface ColumnDrift {
  name: string;
  psi: number;
  ksStatistic: number;
  ksPValue: number;
  drifted: boolean;
}

/** The colour a PSI earns: stable (< 0.1), watch (< 0.25), shifted. */
export function psiBand(psi: number): 'stable' | 'watch' | 'shifted' {
  return psi < 0.1 ? 'stable' : psi < 0.25 ? 'watch' : 'shifted';
}

const COLOURS = { stable: '#1b7f4b', watch: '#8a5a00', shifted: '#b3261e' } as const;

/** The top `limit` features by PSI, largest first. */
export function topByPsi(columns: readonly ColumnDrift[], limit: number): ColumnDrift[] {
  return [...columns].sort((a, b) => b.psi - a.psi).slice(0, limit);
}

/** The PSI chart and table. */
export function PsiChart({ columns, limit = 12 }: { columns: readonly ColumnDrift[]; limit?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const top = topByPsi(columns, limit);
  const key = JSON.stringify(top);
  useEffect(() => {
    const ctx = canvas.current?.getContext?.('2d');
    if (!ctx || top.length === 0) return;
    const chart = new Chart(ctx, {
      type: 'bar',
      data: { labels: top.map((c) => c.name), datasets: [{ label: 'PSI', data: top.map((c) => c.psi), backgroundColor: top.map((c) => COLOURS[psiBand(c.psi)]) }] },
      options: { indexAxis: 'y', animation: false, responsive: true, maintainAspectRatio: false },
    });
    return () => chart.destroy();
  }, [key]);
  if (top.length === 0) return <p>No features in the drift report.</p>;
  return (
    <figure className="psi">
      <div style={{ height: 40 + 26 * top.length }}>
        <canvas ref={canvas} role="img" aria-label={`PSI per feature: ${top.map((c) => `${c.name} ${c.psi.toFixed(3)}`).join(', ')}`} />
      </div>
      <table>
        <caption>
          Largest {top.length} of {columns.length} features by PSI (below 0.1 stable, 0.1–0.25 watch, above 0.25 shifted)
        </caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">PSI</th>
            <th scope="col">KS</th>
            <th scope="col">KS p-value</th>
            <th scope="col">Drifted</th>
          </tr>
        </thead>
        <tbody>
          {top.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td>{c.psi.toFixed(3)}</td>
              <td>{c.ksStatistic.toFixed(3)}</td>
              <td>{c.ksPValue < 0.001 ? '< 0.001' : c.ksPValue.toFixed(3)}</td>
              <td>{c.drifted ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
