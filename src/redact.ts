// Free-form context (event context, activity details) is written by many callers: keys that smell of
// secrets are replaced on the way in, so that a careless caller cannot put a credential into the log.
const SECRET_KEY = /pass(word)?|secret|totp|token|credential|_enc$|^email$/i;

export function redactContext(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactContext);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redactContext(v)]),
    );
  }
  return value;
}
