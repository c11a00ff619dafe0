// Charts on uPlot: time series (one or two y scales) and bars over categories. Each chart is a <figure>
// with data-chart (its title) and data-points (how many x values it drew), which the browser tests read.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { compact, percent } from '../format.ts';
import { Empty } from './ui.tsx';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** 'rate': a 0–1 value on a second axis, shown as a percentage. */
  scale?: 'y' | 'rate';
}

const cssVar = (name: string, fallback: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

function axis(scale: string, side: 0 | 1 | 2 | 3, values?: uPlot.Axis['values']): uPlot.Axis {
  const ink = cssVar('--muted', '#667');
  const line = cssVar('--line', '#dde');
  return {
    scale,
    side,
    stroke: ink,
    grid: { stroke: line, width: 1, show: side !== 1 },
    ticks: { stroke: line, width: 1 },
    ...(values ? { values } : {}),
  };
}

/** Draws a uPlot into a div that fills its container's width, redrawn when the container resizes. */
function usePlot(build: (width: number) => uPlot | undefined, key: string, height: number) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const plot = build(el.clientWidth || 600);
    if (!plot) return;
    el.append(plot.root);
    const observer = new ResizeObserver(() => {
      if (el.clientWidth > 0) plot.setSize({ width: el.clientWidth, height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
    // The key stands for the data and options: a chart is rebuilt only when they change.
  }, [key, height]);
  return ref;
}

interface FigureProps {
  title: string;
  /** false: the caption is read by screen readers only (the section's heading says it already). */
  caption?: boolean | undefined;
  points: number;
  empty: ComponentChildren;
  children: ComponentChildren;
}

function Figure({ title, caption, points, empty, children }: FigureProps) {
  return (
    <figure class="chart" data-chart={title} data-points={points}>
      <figcaption class={caption === false ? 'sr-only' : undefined}>{title}</figcaption>
      {points === 0 ? <Empty>{empty}</Empty> : children}
    </figure>
  );
}

export function TimeChart(props: {
  title: string;
  /** Unix seconds. */
  x: number[];
  series: ChartSeries[];
  height?: number;
  empty: ComponentChildren;
}) {
  const { title, x, series, empty } = props;
  const height = props.height ?? 220;
  const hasRate = series.some((s) => s.scale === 'rate');
  const ref = usePlot(
    (width) => {
      if (x.length === 0) return undefined;
      const options: uPlot.Options = {
        width,
        height,
        series: [
          {},
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            fill: s.scale === 'rate' ? undefined : `${s.color}22`,
            width: 2,
            scale: s.scale ?? 'y',
            spanGaps: true,
            value: (_u: uPlot, v: number | null) => (s.scale === 'rate' ? percent(v) : compact(v)),
          })),
        ],
        scales: { x: { time: true }, ...(hasRate ? { rate: { range: [0, null] as [number, null] } } : {}) },
        axes: [
          axis('x', 2),
          axis('y', 3, (_u, ticks) => ticks.map((t) => compact(t))),
          ...(hasRate ? [axis('rate', 1, (_u, ticks) => ticks.map((t) => percent(t, 0)))] : []),
        ],
        cursor: { drag: { x: false, y: false } },
      };
      return new uPlot(options, [x, ...series.map((s) => s.values)] as uPlot.AlignedData);
    },
    JSON.stringify([x, series]),
    height,
  );
  return (
    <Figure title={title} points={x.length} empty={empty}>
      <div ref={ref} class="plot" />
    </Figure>
  );
}

export function BarChart(props: {
  title: string;
  caption?: boolean;
  labels: string[];
  values: number[];
  color: string;
  height?: number;
  empty: ComponentChildren;
}) {
  const { title, labels, values, color, empty } = props;
  const height = props.height ?? 220;
  const total = values.reduce((a, b) => a + b, 0);
  const ref = usePlot(
    (width) => {
      if (total === 0) return undefined;
      const indices = labels.map((_, i) => i);
      const options: uPlot.Options = {
        width,
        height,
        series: [
          { label: 'state', value: (_u, i: number | null) => (i === null ? '' : (labels[i] ?? '')) },
          {
            label: 'accounts',
            stroke: color,
            fill: `${color}bb`,
            paths: uPlot.paths.bars?.({ size: [0.7, 60], gap: 2 }),
            points: { show: false },
          },
        ],
        scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: [0, null] } },
        axes: [
          {
            ...axis('x', 2),
            splits: () => indices,
            values: (_u, ticks) => ticks.map((t) => labels[t] ?? ''),
            rotate: -30,
            size: 60,
            gap: 4,
          },
          axis('y', 3, (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? compact(t) : ''))),
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
      };
      return new uPlot(options, [indices, values] as uPlot.AlignedData);
    },
    JSON.stringify([labels, values]),
    height,
  );
  return (
    <Figure title={title} caption={props.caption} points={total === 0 ? 0 : labels.length} empty={empty}>
      <div ref={ref} class="plot" />
    </Figure>
  );
}
