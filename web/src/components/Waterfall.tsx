/**
 * A SHAP waterfall with Chart.js (floating bars from the running total), plus the same
 * numbers as a table for screen readers and for copying into a model-risk file.
 */
import { useEffect, useRef } from 'react';
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { waterfallSteps, type Contribution } from './waterfall';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

const fmt = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(3);

/** The waterfall chart and table of a decision's top contributions. */
export function Waterfall({ contributions }: { contributions: readonly Contribution[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const steps = waterfallSteps(contributions);
  useEffect(() => {
    const ctx = canvas.current?.getContext?.('2d');
    if (!ctx || steps.length === 0) return;
    const chart = new Chart(ctx, {
      type: 'bar',
      data: {
        labels: steps.map((s) => s.label),
        datasets: [
          {
            label: 'contribution (log-odds)',
            data: steps.map((s) => [s.from, s.to] as [number, number]),
            backgroundColor: steps.map((s) => (s.contribution >= 0 ? '#1b7f4b' : '#b3261e')),
          },
        ],
      },
      options: { indexAxis: 'y', animation: false, responsive: true, maintainAspectRatio: false, plugins: { tooltip: { enabled: true } } },
    });
    return () => chart.destroy();
  }, [JSON.stringify(steps)]);
  if (steps.length === 0) return <p>No SHAP contributions: the winner was scored by its prior, not a model.</p>;
  return (
    <figure className="waterfall">
      <div style={{ height: 40 + 32 * steps.length }}>
        <canvas ref={canvas} role="img" aria-label={`SHAP waterfall: ${steps.map((s) => `${s.label} ${fmt(s.contribution)}`).join(', ')}`} />
      </div>
      <table>
        <caption>Top contributions to the winner's propensity (log-odds)</caption>
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">Value</th>
            <th scope="col">Contribution</th>
            <th scope="col">Running total</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s) => (
            <tr key={s.label}>
              <td>{s.label}</td>
              <td>{s.value === null ? 'missing' : String(Math.round(s.value * 1000) / 1000)}</td>
              <td className={s.contribution >= 0 ? 'up' : 'down'}>{fmt(s.contribution)}</td>
              <td>{fmt(s.to)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
