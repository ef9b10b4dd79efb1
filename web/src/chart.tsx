import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];

/**
 * A time chart (uPlot). `stacked` draws cumulative areas so the top line is the total.
 * Sized to its container, redrawn on resize.
 */
export function TimeChart(props: {
  label: string;
  xs: number[];
  series: { name: string; values: (number | null)[] }[];
  stacked?: boolean;
  unit?: string;
  height?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const values = props.series.map((s) => s.values);
    let data = values;
    if (props.stacked) {
      const acc = props.xs.map(() => 0);
      data = values.map((v) => v.map((x, i) => (acc[i] = (acc[i] ?? 0) + (x ?? 0))));
    }
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 220,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      axes: [{}, { size: 60, values: (_u, ticks) => ticks.map((t) => `${t}${props.unit ?? ''}`) }],
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.name,
          stroke: COLORS[i % COLORS.length],
          fill: props.stacked ? `${COLORS[i % COLORS.length]}33` : undefined,
          width: 2,
        })),
      ],
    };
    const plot = new uPlot(opts, [props.xs, ...data], el);
    const ro = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 220 }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [props.xs, props.series, props.stacked, props.unit, props.height]);
  return <div class="chart" ref={ref} role="img" aria-label={props.label} />;
}
