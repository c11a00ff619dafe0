// How numbers and times read on the dashboard.
const numberFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const compactFormat = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

export const num = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : numberFormat.format(n);
export const compact = (n: number | null | undefined): string =>
  n === null || n === undefined ? '–' : compactFormat.format(n);
export const percent = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined ? '–' : `${(n * 100).toFixed(digits)}%`;

export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  const future = seconds < 0;
  const s = Math.abs(seconds);
  const text =
    s < 45
      ? `${s} s`
      : s < 5400
        ? `${Math.round(s / 60)} min`
        : s < 129_600
          ? `${Math.round(s / 3600)} h`
          : `${Math.round(s / 86_400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '–';

export const label = (value: string): string => value.replace(/_/g, ' ');

/**
 * Where warming stands, spelt one way everywhere: "phase 2 · day 9" while warming (phase 1–3), "active · day
 * 30" once warmed (phase 4, as the sessions count it), "day 12" in a state outside the phases (cooldown…).
 */
export function phaseDay(phase: number | null, day: number): string {
  if (phase === null) return `day ${day}`;
  return `${phase >= 4 ? 'active' : `phase ${phase}`} · day ${day}`;
}

/** An account state's warming phase as the sessions count it: 1–3 while warming, 4 once active. */
export function statePhase(state: string): number | null {
  const warming = /^warming_p(\d)$/.exec(state)?.[1];
  return warming ? Number(warming) : state === 'active' ? 4 : null;
}
