// Secrets come from a prompt (hidden input) or from stdin, never from argv: argv is visible to every user of
// the machine (ps) and lands in shell history.
import { invalidInput } from '../errors.ts';
import { secretFields, type SecretField } from '../accounts/account-model.ts';

const labels: Record<SecretField, string> = {
  email: 'email',
  password: 'password',
  totp_secret: 'TOTP secret (base32)',
  proxy_credentials: 'proxy credentials',
};

/** The hidden prompt, loaded only when a person is asked: most commands of a group that may ask never do. */
const password = async (config: { message: string; mask: string }): Promise<string> =>
  (await import('@inquirer/password')).default(config);

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses secrets given on stdin, either as a JSON object or as KEY=value lines, with keys email, password,
 * totp_secret and proxy_credentials. An empty value clears that secret.
 */
export function parseSecretsText(text: string): Partial<Record<SecretField, string>> {
  const trimmed = text.trim();
  if (trimmed === '') return {};
  let entries: [string, unknown][];
  if (trimmed.startsWith('{')) {
    try {
      entries = Object.entries(JSON.parse(trimmed) as Record<string, unknown>);
    } catch {
      throw invalidInput('stdin', 'stdin: not valid JSON (expected {"password": "…", …} or KEY=value lines)');
    }
  } else {
    entries = trimmed.split(/\r?\n/).flatMap((line, i): [string, unknown][] => {
      if (line.trim() === '' || line.trim().startsWith('#')) return [];
      const eq = line.indexOf('=');
      if (eq < 1) throw invalidInput('stdin', `stdin line ${i + 1}: expected KEY=value`);
      return [[line.slice(0, eq).trim(), line.slice(eq + 1)]];
    });
  }
  const secrets: Partial<Record<SecretField, string>> = {};
  for (const [key, value] of entries) {
    if (!secretFields.includes(key as SecretField)) {
      throw invalidInput('stdin', `stdin: unknown secret "${key}"; expected ${secretFields.join(', ')}`);
    }
    if (typeof value !== 'string') throw invalidInput('stdin', `stdin: ${key} must be a string`);
    secrets[key as SecretField] = value;
  }
  return secrets;
}

/** On a terminal, asks for each secret (empty answers skip it); otherwise reads stdin. */
export async function readSecrets(
  fields: readonly SecretField[] = secretFields,
): Promise<Partial<Record<SecretField, string>>> {
  if (!process.stdin.isTTY) return parseSecretsText(await readStdin());
  const secrets: Partial<Record<SecretField, string>> = {};
  for (const field of fields) {
    const value = await password({ message: `${labels[field]} (empty to skip):`, mask: '*' });
    if (value !== '') secrets[field] = value;
  }
  return secrets;
}

/**
 * A new password: asked twice, hidden, on a terminal; otherwise the first line of stdin (so a script can
 * pipe it in). Never an argument.
 */
export async function readNewPassword(label = 'password'): Promise<string> {
  if (!process.stdin.isTTY) {
    const line = (await readStdin()).split(/\r?\n/)[0] ?? '';
    if (line === '') throw invalidInput('stdin', `stdin: expected the ${label} on its first line`);
    return line;
  }
  const first = await password({ message: `${label} (at least 12 characters):`, mask: '*' });
  const again = await password({ message: `${label} again:`, mask: '*' });
  if (first !== again) throw invalidInput('password', 'password: the two entries differ');
  return first;
}

/**
 * One secret that is not a password people choose (a webhook URL, an SMTP password): asked once, hidden, on a
 * terminal; otherwise the first line of stdin. Never an argument.
 */
export async function readSecretLine(label: string): Promise<string> {
  const value = process.stdin.isTTY
    ? await password({ message: `${label}:`, mask: '*' })
    : ((await readStdin()).split(/\r?\n/)[0] ?? '');
  if (value.trim() === '') throw invalidInput('stdin', `stdin: expected the ${label} on its first line`);
  return value.trim();
}
