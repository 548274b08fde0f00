/** Requests per time window as a bar chart (chart.js), updated in place as new windows arrive. */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from "chart.js";
import { useEffect, useRef } from "react";

import { clock } from "../lib/format.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

/** Windows shown at most (the latest ones). */
const MAX_BARS = 60;

export function CallsChart({ buckets }: { buckets: ReadonlyArray<{ start: number; count: number }> }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"bar"> | null>(null);

  useEffect(() => {
    if (canvas.current === null) return;
    const config: ChartConfiguration<"bar"> = {
      type: "bar",
      data: { labels: [], datasets: [{ label: "requests", data: [], backgroundColor: "#4f7cff", borderRadius: 3 }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: false } },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    };
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const current = chart.current;
    if (current === null) return;
    const shown = buckets.slice(-MAX_BARS);
    current.data.labels = shown.map((b) => clock(b.start));
    current.data.datasets[0]!.data = shown.map((b) => b.count);
    current.update();
  }, [buckets]);

  return (
    <div className="chart">
      <canvas ref={canvas} aria-label="Requests per window" role="img" />
    </div>
  );
}
