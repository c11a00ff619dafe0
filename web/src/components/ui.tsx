// Small pieces every page uses: empty states, errors, badges, meters, key–value lists, load-more, and the
// phone-width patterns (tables as card lists, long lists collapsed).
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { label } from '../format.ts';
import type { Tone, Tones } from '../tones.ts';

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

/** A shell command shown in an empty state, so the next step is one copy away. */
export function Cmd({ children }: { children: string }) {
  return <code class="cmd">{children}</code>;
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message}
    </p>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? <p class="loading">Loading…</p> : null;
}

/**
 * A status word in its tone: from the word's table (`tones={deviceStatusTone}`), or given (`tone="info"`) for
 * words outside the closed sets.
 */
export function Badge<W extends string>(
  props: { value: NoInfer<W>; tones: Tones<W> } | { value: string; tone: Tone },
) {
  const tone = 'tone' in props ? props.tone : props.tones[props.value];
  return <span class={`badge tone-${tone}`}>{label(props.value)}</span>;
}

/** A horizontal bar for a level (battery, storage, score): red below `bad`, orange below `warn`. */
export function Meter(props: {
  value: number | null;
  max: number;
  bad?: number;
  warn?: number;
  text: string;
  title: string;
}) {
  const { value, max, bad, warn, text, title } = props;
  if (value === null) return <span class="muted">–</span>;
  const share = Math.max(0, Math.min(1, value / max));
  const tone: Tone =
    bad !== undefined && value < bad
      ? 'bad'
      : warn !== undefined && value < warn
        ? 'warn'
        : bad === undefined && warn === undefined
          ? 'info'
          : 'good';
  return (
    <span
      class="meter"
      title={title}
      role="meter"
      aria-valuenow={value}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-label={title}
    >
      <span class={`meter-fill tone-${tone}`} style={{ width: `${(share * 100).toFixed(1)}%` }} />
      <span class="meter-text">{text}</span>
    </span>
  );
}

export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function Section(props: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
  id?: string;
}) {
  return (
    <section class="card" id={props.id} aria-label={props.title}>
      <header class="card-head">
        <h2>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

export function MoreButton({ hasMore, onMore }: { hasMore: boolean; onMore: () => void }) {
  if (!hasMore) return null;
  return (
    <button type="button" class="more" onClick={onMore}>
      Show more
    </button>
  );
}

/**
 * Phone width turns every `.table` into a card list (styles.css): each cell shows its column's name from
 * `data-label`. Pages may set data-label themselves; this fills it in for any cell without one, from the
 * header cell of the same column, so raw <table class="table"> markup needs no change. Runs once at start
 * (main.tsx) and follows every render through a MutationObserver.
 */
export function labelTableCells(root: ParentNode = document): void {
  for (const table of root.querySelectorAll<HTMLTableElement>('table.table')) {
    const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
    if (heads.length === 0) continue;
    for (const row of table.querySelectorAll<HTMLTableRowElement>('tbody tr')) {
      let column = 0;
      for (const cell of row.cells) {
        if (!cell.hasAttribute('data-label')) cell.setAttribute('data-label', heads[column] ?? '');
        column += cell.colSpan;
      }
    }
  }
}

export function watchTableLabels(root: HTMLElement): void {
  labelTableCells(root);
  let queued = false;
  new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      labelTableCells(root);
    });
  }).observe(root, { childList: true, subtree: true });
}

/** How many rows or tiles a long list shows at phone width before "Show N more" (styles.css: .collapse). */
export const PHONE_ROWS = 8;

/**
 * A long list (a table, a <ul>, a board column) that collapses to PHONE_ROWS items at phone width, with a
 * "Show N more" button there; at desktop width everything shows and the button is hidden.
 */
export function Collapse({ count, children }: { count: number; children: ComponentChildren }) {
  const [open, setOpen] = useState(false);
  const hidden = count - PHONE_ROWS;
  return (
    <div class={open || hidden <= 0 ? 'collapse' : 'collapse collapsed'}>
      {children}
      {!open && hidden > 0 && (
        <button type="button" class="more phone-only" onClick={() => setOpen(true)}>
          Show {hidden} more
        </button>
      )}
    </div>
  );
}
