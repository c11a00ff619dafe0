// Reads the connectors' key file (SOVI_CONNECTOR_KEY_FILE): the developer apps' credentials kept out of the
// environment. Mode 0600 or stricter, like the vault's key file; a bad file is a config error naming it.
import fs from 'node:fs';
import { z } from 'zod';
import { SoviError } from '../errors.ts';
import type { ConnectorKeyFile } from './connector-settings.ts';

const nonEmpty = z.string().trim().min(1).max(500);
const schema = z
  .object({
    tiktok: z.strictObject({ clientKey: nonEmpty, clientSecret: nonEmpty }).optional(),
    instagram: z.strictObject({ appId: nonEmpty, appSecret: nonEmpty }).optional(),
  })
  .strict();

export function readConnectorKeyFile(file: string): ConnectorKeyFile {
  const field = 'SOVI_CONNECTOR_KEY_FILE';
  let stat: fs.Stats;
  let text: string;
  try {
    stat = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SoviError(
      'config',
      `${field}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      {
        field,
      },
    );
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new SoviError(
      'config',
      `${field}: ${file} is open to other users (mode ${(stat.mode & 0o777).toString(8)}); chmod 600 it`,
      { field },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SoviError('config', `${field}: ${file} is not JSON`, { field });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    // Names the key that is wrong, never a value (they are secrets).
    const issue = result.error.issues[0]!;
    throw new SoviError(
      'config',
      `${field}: ${file}: ${issue.path.join('.') || 'the file'}: expected {"tiktok": {"clientKey", "clientSecret"}, "instagram": {"appId", "appSecret"}} (${issue.message})`,
      { field },
    );
  }
  return result.data;
}
