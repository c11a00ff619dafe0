// One call to a platform's API for the official collectors: under a deadline, honouring the caller's stop,
// with the platform's answer parsed as JSON. A network failure, a timeout or a dropped connection is an
// 'unavailable' CollectorError. Messages name the endpoint's path, never its query (Graph takes the access
// token there) nor any header.
import { z } from 'zod';
import type { Platform } from '../platforms.ts';
import { parseOptions } from '../settings/parse-options.ts';
import { CollectorError } from './metrics-collector.ts';

// Bounded so a budget's row stays small (it holds one time per call in the window): a week at most.
const budgetSchema = z.object({
  calls: z.number().int().min(1).max(100_000),
  windowMs: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400_000),
});
type Budget = z.output<typeof budgetSchema>;

/**
 * An official collector's SOVI_METRICS_COLLECTOR_OPTIONS, checked with its own schema plus the call budget
 * every official collector takes (`{"budgets":{"tiktok":{"calls":600,"windowMs":60000}}}`): its platform's
 * budget, or the platform's published limit when none is set.
 */
export function officialCollectorOptions<S extends z.ZodObject>(
  schema: S,
  input: unknown,
  platform: Platform,
  publishedLimit: Budget,
): { options: z.output<S>; budget: Budget } {
  const withBudgets = schema.extend({ budgets: z.record(z.string(), budgetSchema).optional() }).loose();
  const parsed = parseOptions(withBudgets, input, 'SOVI_METRICS_COLLECTOR_OPTIONS');
  const budgets = parsed.budgets as Record<string, Budget> | undefined;
  return { options: parsed as z.output<S>, budget: budgets?.[platform] ?? publishedLimit };
}

export interface PlatformAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
}

export async function platformCall(
  url: URL,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
  options: { timeoutMs: number; signal: AbortSignal; what: string },
): Promise<PlatformAnswer> {
  // One controller per call, with its timer and its listener on the caller's signal removed afterwards:
  // AbortSignal.any/timeout per call left a long pull's signal with thousands of dependents.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('deadline'));
  }, options.timeoutMs);
  const stop = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', stop, { once: true });
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, signal: controller.signal });
    text = await response.text();
  } catch (err) {
    if (options.signal.aborted) throw err;
    const why = timedOut
      ? `no answer within ${options.timeoutMs} ms`
      : `${(err as Error).message}${(err as Error).cause instanceof Error ? ` (${((err as Error).cause as Error).message})` : ''}`;
    throw new CollectorError('unavailable', `${options.what} (${url.pathname}): ${why}`);
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', stop);
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body };
}

/** A whole count ≥ 0 from an answer, or null for anything else. */
export const countOf = (value: unknown): number | null =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;
