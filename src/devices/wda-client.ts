// A read-only look at a device's WebDriverAgent: GET /status and, when WDA already has a session, that
// session's battery. It never creates a session (that would replace the one an executor plug-in holds on
// the device) and calls no other route: sovi drives no app's UI.

export type WdaProbe =
  | {
      kind: 'healthy';
      /** value.os.version, when WDA reports it. */
      iosVersion: string | null;
      sessionId: string | null;
      /** 0–100; null without a session, or when the battery could not be read. */
      batteryLevel: number | null;
      /** Why a session's battery could not be read (the device is healthy all the same). */
      batteryProblem: string | null;
    }
  /** Nothing answered: connection refused, reset, or no answer before the deadline. */
  | { kind: 'unreachable'; reason: string }
  /** WDA answered, with an error: a non-2xx status, JSON it cannot have meant, or `ready: false`. */
  | { kind: 'error'; reason: string; httpStatus: number | null }
  /** The caller gave up (the monitor is stopping): nothing can be concluded. */
  | { kind: 'aborted' };

export interface ProbeOptions {
  /** One deadline for the whole probe, however many requests it makes. */
  timeoutMs: number;
  /** Aborts the probe early, e.g. when the monitor stops. */
  signal?: AbortSignal;
}

type Answer = { kind: 'ok'; body: Record<string, unknown> } | Exclude<WdaProbe, { kind: 'healthy' }>;

export async function probeWda(baseUrl: string, options: ProbeOptions): Promise<WdaProbe> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const call = (path: string) => getJson(`${baseUrl}${path}`, signal, options);

  const status = await call('/status');
  if (status.kind !== 'ok') return status;
  const value = objectOr(status.body.value);
  if (value.ready === false) {
    return { kind: 'error', reason: `WDA is not ready${describe(value.message)}`, httpStatus: null };
  }
  const iosVersion = stringOr(objectOr(value.os).version);
  const sessionId = stringOr(status.body.sessionId);
  if (sessionId === null)
    return { kind: 'healthy', iosVersion, sessionId, batteryLevel: null, batteryProblem: null };

  const battery = await call(`/session/${encodeURIComponent(sessionId)}/wda/batteryInfo`);
  if (battery.kind === 'aborted') return battery;
  if (battery.kind !== 'ok') {
    return { kind: 'healthy', iosVersion, sessionId, batteryLevel: null, batteryProblem: battery.reason };
  }
  const level = objectOr(battery.body.value).level;
  // iOS reports -1 when it does not know the level (e.g. battery monitoring off, or a simulator).
  if (typeof level !== 'number' || !(level >= 0 && level <= 1)) {
    return {
      kind: 'healthy',
      iosVersion,
      sessionId,
      batteryLevel: null,
      batteryProblem: `no battery level (got ${JSON.stringify(level) ?? 'nothing'})`,
    };
  }
  return {
    kind: 'healthy',
    iosVersion,
    sessionId,
    batteryLevel: Math.round(level * 1000) / 10,
    batteryProblem: null,
  };
}

async function getJson(url: string, signal: AbortSignal, options: ProbeOptions): Promise<Answer> {
  let httpStatus: number;
  let text: string;
  try {
    const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
    httpStatus = response.status;
    text = await response.text();
  } catch (err) {
    if (options.signal?.aborted) return { kind: 'aborted' };
    if (signal.aborted) return { kind: 'unreachable', reason: `no answer within ${options.timeoutMs} ms` };
    return { kind: 'unreachable', reason: connectionProblem(err) };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (httpStatus < 200 || httpStatus > 299) {
    const value = objectOr(objectOr(body).value);
    const what = [stringOr(value.error), stringOr(value.message)].filter(Boolean).join(': ');
    return { kind: 'error', reason: `HTTP ${httpStatus}${what ? `: ${clip(what)}` : ''}`, httpStatus };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      kind: 'error',
      reason: `HTTP ${httpStatus} without a JSON object: ${clip(text) || 'empty body'}`,
      httpStatus,
    };
  }
  // An old WDA (JSON Wire Protocol) answers HTTP 200 even to a failure, with a numeric status: 0 is success,
  // anything else an error, which must not pass for a healthy device or a battery reading.
  const legacy = (body as Record<string, unknown>).status;
  if (typeof legacy === 'number' && legacy !== 0) {
    const message =
      stringOr((body as Record<string, unknown>).value) ??
      stringOr(objectOr((body as Record<string, unknown>).value).message);
    return {
      kind: 'error',
      reason: `status ${legacy} (${jsonwpMeaning[legacy] ?? 'an error'})${message ? `: ${clip(message)}` : ''}`,
      httpStatus,
    };
  }
  return { kind: 'ok', body: body as Record<string, unknown> };
}

/** The JSON Wire Protocol's status codes an old WDA sends. */
const jsonwpMeaning: Record<number, string> = {
  6: 'no such session',
  7: 'no such element',
  9: 'unknown command',
  10: 'stale element reference',
  11: 'element not visible',
  12: 'invalid element state',
  13: 'unknown error',
  21: 'timeout',
  26: 'unexpected alert open',
  28: 'script timeout',
  33: 'session not created',
};

function connectionProblem(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection closed without an answer';
  if (code) return `connection failed (${code})`;
  return `request failed: ${err instanceof Error ? err.message : String(err)}`;
}

function objectOr(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function describe(message: unknown): string {
  const text = stringOr(message);
  return text ? `: ${clip(text)}` : '';
}

/** WDA's messages can carry whole tracebacks; events keep the start. */
function clip(text: string, max = 200): string {
  const line = text.trim().replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
