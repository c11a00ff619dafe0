// A small HTTP load driver for the fault tests: a few concurrent loops, each issuing GETs round-robin over
// a list of paths with a bearer token and a client-side timeout, recording every request's outcome.
export interface RequestRecord {
  path: string;
  /** Milliseconds since the driver started, when the request was sent. */
  startedAt: number;
  latencyMs: number;
  /** HTTP status, or undefined when no response came (timeout, reset, hang-up). */
  status?: number;
  retryAfter?: string | null;
  /** The JSON error code of a non-2xx response, or a note that the body was not JSON. */
  errorCode?: string;
  /** Why no response came. */
  failure?: string;
}

export interface LoadDriver {
  readonly records: RequestRecord[];
  /** Milliseconds since the driver started. */
  now(): number;
  stop(): Promise<RequestRecord[]>;
}

export interface LoadOptions {
  baseUrl: string;
  token: string;
  paths: string[];
  concurrency: number;
  /** A request without an answer by then counts as a hang. */
  timeoutMs: number;
}

export function startLoad(options: LoadOptions): LoadDriver {
  const records: RequestRecord[] = [];
  const origin = performance.now();
  const now = () => performance.now() - origin;
  let stopped = false;
  let n = 0;

  async function one(path: string): Promise<RequestRecord> {
    const startedAt = now();
    try {
      const response = await fetch(`${options.baseUrl}${path}`, {
        headers: { authorization: `Bearer ${options.token}` },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      const record: RequestRecord = {
        path,
        startedAt,
        latencyMs: now() - startedAt,
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
      };
      if (!response.ok) {
        try {
          const body = JSON.parse(text) as { error?: { code?: string }; status?: string };
          record.errorCode = body.error?.code ?? body.status ?? '(no code)';
        } catch {
          record.errorCode = `(not JSON: ${text.slice(0, 80)})`;
        }
      }
      return record;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const failure =
        e.name === 'TimeoutError' ? 'timeout' : `${e.message} ${e.cause?.code ?? e.cause?.message ?? ''}`;
      return { path, startedAt, latencyMs: now() - startedAt, failure };
    }
  }

  const loops = Array.from({ length: options.concurrency }, async () => {
    while (!stopped) {
      const path = options.paths[n++ % options.paths.length]!;
      records.push(await one(path));
    }
  });

  return {
    records,
    now,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return records;
    },
  };
}

/** One GET of each path: the ones that did not answer 200, with what they answered (empty: all did). */
export async function failingPaths(baseUrl: string, token: string, paths: string[]): Promise<string[]> {
  const answers = await Promise.all(
    paths.map(async (path) => {
      try {
        const response = await fetch(`${baseUrl}${path}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(5_000),
        });
        const text = await response.text();
        return response.status === 200 ? undefined : `${path}: ${response.status} ${text.slice(0, 200)}`;
      } catch (err) {
        return `${path}: ${(err as Error).message}`;
      }
    }),
  );
  return answers.filter((a) => a !== undefined);
}

export interface LoadSummary {
  requests: number;
  ok: number;
  unavailable: number;
  maxLatencyMs: number;
  /** Requests that failed other than as a 503 with retry-after and a JSON body. */
  bad: RequestRecord[];
}

export function summarize(records: RequestRecord[]): LoadSummary {
  const bad = records.filter(
    (r) =>
      r.status !== 200 &&
      !(r.status === 503 && r.retryAfter && r.errorCode !== undefined && !r.errorCode.startsWith('(')),
  );
  return {
    requests: records.length,
    ok: records.filter((r) => r.status === 200).length,
    unavailable: records.filter((r) => r.status === 503).length,
    maxLatencyMs: Math.round(Math.max(0, ...records.map((r) => r.latencyMs))),
    bad,
  };
}
