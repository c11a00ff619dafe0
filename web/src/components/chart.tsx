// Charts on uPlot: time series (one or two y scales) and bars over categories. Each chart is a <figure>
// with data-chart (its title) and data-points (how many x values it drew), which the browser tests read.
// Axes carry titles with their units. A time series whose last points are a period still filling up (today,
// this hour) draws them dashed and says so under the chart, so a half day never reads as a fall.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { compact, percent } from '../format.ts';
import { Empty } from './ui.tsx';

export interface ChartSeries {
  /** "views gained" for a per-period delta, "total views" for a running total: the page's one naming. */
  label: string;
  values: (number | null)[];
  color: string;
  /** 'rate': a 0–1 value on a second axis, shown as a percentage. */
  scale?: 'y' | 'rate';
}

const cssVar = (name: string, fallback: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

function axis(scale: string, side: 0 | 1 | 2 | 3, values?: uPlot.Axis['values'], title?: string): uPlot.Axis {
  const ink = cssVar('--muted', '#667');
  const line = cssVar('--line', '#dde');
  return {
    scale,
    side,
    stroke: ink,
    grid: { stroke: line, width: 1, show: side !== 1 },
    ticks: { stroke: line, width: 1 },
    ...(values ? { values } : {}),
    ...(title ? { label: title, labelSize: 18, labelFont: '12px system-ui, sans-serif' } : {}),
  };
}

/** Axis titles, units included: "day (UTC)", "views per day", "engagement rate (%)". */
export interface AxisTitles {
  x: string;
  y: string;
  /** The right-hand axis of 'rate' series. */
  rate?: string;
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

function Figure({
  title,
  caption,
  points,
  partial = 0,
  axes,
  empty,
  children,
}: FigureProps & { partial?: number; axes?: AxisTitles | undefined }) {
  const axisText = axes
    ? [`x axis: ${axes.x}`, `y axis: ${axes.y}`, ...(axes.rate ? [`right axis: ${axes.rate}`] : [])]
    : [];
  return (
    <figure class="chart" data-chart={title} data-points={points} data-partial={partial}>
      <figcaption class={caption === false ? 'sr-only' : undefined}>{title}</figcaption>
      {points === 0 ? <Empty>{empty}</Empty> : children}
      {/* uPlot paints the axis titles on the canvas: screen readers (and tests) read them here. */}
      {points > 0 && axes && (
        <p class="sr-only" data-axes>
          {axisText.join('; ')}
        </p>
      )}
    </figure>
  );
}

/**
 * The series as uPlot draws them: each series whose last `partial` points are still filling up becomes two,
 * the complete part solid and the partial part (joined to the last complete point) dashed and lighter.
 */
function splitPartial(series: ChartSeries[], length: number, partial: number) {
  const cut = length - partial;
  return series.flatMap((s) => {
    const all = s.values;
    if (partial === 0) return [{ ...s, all, dashed: false }];
    const solid = { ...s, all, values: all.map((v, i) => (i < cut ? v : null)), dashed: false };
    const dashed = { ...s, all, values: all.map((v, i) => (i >= cut - 1 ? v : null)), dashed: true };
    return [solid, dashed];
  });
}

export function TimeChart(props: {
  title: string;
  /** Unix seconds. */
  x: number[];
  series: ChartSeries[];
  axes?: AxisTitles;
  /** How many of the last x values are a period not over yet (drawn dashed, with a note). */
  partial?: number;
  /** What the partial period is, for the note: "today", "this hour". */
  partialLabel?: string;
  height?: number;
  empty: ComponentChildren;
}) {
  const { title, x, series, empty, axes } = props;
  const partial = Math.min(props.partial ?? 0, x.length);
  const height = props.height ?? 220;
  const hasRate = series.some((s) => s.scale === 'rate');
  const drawn = splitPartial(series, x.length, partial);
  const ref = usePlot(
    (width) => {
      if (x.length === 0) return undefined;
      const options: uPlot.Options = {
        width,
        height,
        series: [
          {},
          ...drawn.map((s) => ({
            label: s.label,
            stroke: s.dashed ? `${s.color}99` : s.color,
            fill: s.scale === 'rate' || s.dashed ? undefined : `${s.color}22`,
            width: 2,
            ...(s.dashed ? { dash: [6, 4] } : {}),
            scale: s.scale ?? 'y',
            spanGaps: true,
            value: (_u: uPlot, v: number | null, _s: number, i: number | null) => {
              const shown = i === null ? v : (s.all[i] ?? null);
              const text = s.scale === 'rate' ? percent(shown) : compact(shown);
              return i !== null && i >= x.length - partial && shown !== null ? `${text} (so far)` : text;
            },
          })),
        ],
        scales: { x: { time: true }, ...(hasRate ? { rate: { range: [0, null] as [number, null] } } : {}) },
        axes: [
          axis('x', 2, undefined, axes?.x),
          axis('y', 3, (_u, ticks) => ticks.map((t) => compact(t)), axes?.y),
          ...(hasRate ? [axis('rate', 1, (_u, ticks) => ticks.map((t) => percent(t, 0)), axes?.rate)] : []),
        ],
        cursor: { drag: { x: false, y: false } },
      };
      const plot = new uPlot(options, [x, ...drawn.map((s) => s.values)] as uPlot.AlignedData);
      // The legend names each series once: the dashed copies' entries are hidden, and the solid entry shows
      // a partial point's value too, marked "so far".
      const entries = plot.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
      drawn.forEach((s, i) => {
        if (s.dashed) entries[i + 1]?.style.setProperty('display', 'none');
      });
      return plot;
    },
    JSON.stringify([x, series, axes, partial]),
    height,
  );
  return (
    <Figure title={title} points={x.length} partial={partial} axes={axes} empty={empty}>
      <div ref={ref} class="plot" />
      {partial > 0 && (
        <p class="muted small chart-note" data-partial-note>
          <span class="dash-key" aria-hidden="true" /> Dashed: {props.partialLabel ?? 'the last period'} so
          far (partial, still counting).
        </p>
      )}
    </Figure>
  );
}

export function BarChart(props: {
  title: string;
  caption?: boolean;
  axes?: AxisTitles;
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
            ...(props.axes
              ? { label: props.axes.x, labelSize: 18, labelFont: '12px system-ui, sans-serif' }
              : {}),
          },
          axis(
            'y',
            3,
            (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? compact(t) : '')),
            props.axes?.y,
          ),
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
      };
      return new uPlot(options, [indices, values] as uPlot.AlignedData);
    },
    JSON.stringify([labels, values, props.axes]),
    height,
  );
  return (
    <Figure
      title={title}
      caption={props.caption}
      points={total === 0 ? 0 : labels.length}
      axes={props.axes}
      empty={empty}
    >
      <div ref={ref} class="plot" />
    </Figure>
  );
}
