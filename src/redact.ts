// Free-form context (event context, activity details) is written by many callers: keys that smell of
// secrets are replaced on the way in, so that a careless caller cannot put a credential into the log.
// The same pass makes the value JSON-safe, as jsonb stores it: a Date would otherwise serialise through
// Object.entries as `{}` (metrics_late_rows once stored `"from": {}`), so values with a toJSON (Date, URL,
// Buffer) are stored as what JSON.stringify would write, dates as ISO strings, and bigints as decimal text.
const SECRET_KEY = /pass(word)?|secret|totp|token|credential|_enc$|^email$/i;

export function redactContext(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return redactContext((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) return value.map(redactContext);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactContext(v)]),
    );
  }
  return value;
}
