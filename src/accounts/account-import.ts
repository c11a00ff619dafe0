// CSV import of accounts: every row is checked first and every bad row is reported with its line number;
// then all rows are written in one transaction, or none.
import { randomUUID } from 'node:crypto';
import { checkHeader, fieldsByName, importRefused, readCsv, type ImportIssue } from '../csv-import.ts';
import { SoviError, type OneOf } from '../errors.ts';
import { recordEvent } from '../events/events-service.ts';
import { normaliseTotpSecret } from '../vault/totp.ts';
import { accountStates, secretFields, type SecretField } from './account-model.ts';
import { existingLiveUsernames, insertAccountRows, type NewAccountRow } from './accounts-repository.ts';
import type { AccountDeps } from './accounts-service.ts';
import { isPlatform, platforms } from '../platforms.ts';
import { recordActivity } from '../activity/activity-log.ts';
import { isUniqueViolation } from '../db/pg-errors.ts';
import { chunks } from '../db/chunks.ts';
import { deviceIdsByRef } from '../devices/devices-service.ts';
import { inNicheScope } from '../niches/niche-scope.ts';
import { nicheIdsBySlug } from '../niches/niches-service.ts';
import { recordImport } from '../audit/audit-service.ts';

export const importColumns = [
  'platform',
  'username',
  'niche',
  'device',
  'state',
  'bio',
  'profile_pic_url',
  'followers',
  'following',
  ...secretFields,
] as const;
type Column = OneOf<typeof importColumns>;

const USERNAME = /^[A-Za-z0-9_.]{1,30}$/;
const CHUNK = 2_000;

export interface ImportProgress {
  (phase: 'check' | 'write', done: number, total: number): void;
}

interface Candidate {
  /** False when the row failed its own checks; it still goes through the database checks, so that every
   *  problem of a row is reported at once. */
  valid: boolean;
  line: number;
  row: NewAccountRow;
  niche: string | null;
  device: string | null;
  secrets: Partial<Record<SecretField, string>>;
}

/** Checks one row on its own; cross-row and database checks come after. */
function checkRow(
  header: string[],
  line: number,
  fields: string[],
  issues: ImportIssue[],
): Candidate | undefined {
  if (fields.length !== header.length) {
    issues.push({ line, message: `expected ${header.length} fields, got ${fields.length}` });
    return undefined;
  }
  const value: (c: Column) => string | undefined = fieldsByName(header, fields);
  const before = issues.length;
  const bad = (field: string, message: string) =>
    issues.push({ line, field, message: `${field}: ${message}` });
  const platform = value('platform') ?? '';
  if (!isPlatform(platform)) bad('platform', `expected one of ${platforms.join(', ')}, got "${platform}"`);
  const username = value('username') ?? '';
  if (!USERNAME.test(username))
    bad('username', `expected 1–30 letters, digits, underscores or periods, got "${username}"`);
  const state = value('state') ?? 'created';
  if (!accountStates.includes(state as never))
    bad('state', `expected one of ${accountStates.join(', ')}, got "${state}"`);
  const counts: Partial<Record<'followers' | 'following', number>> = {};
  for (const c of ['followers', 'following'] as const) {
    const v = value(c);
    if (v === undefined) continue;
    if (!/^\d+$/.test(v) || Number(v) > 2_147_483_647) bad(c, `expected a whole number ≥ 0, got "${v}"`);
    else counts[c] = Number(v);
  }
  const secrets: Partial<Record<SecretField, string>> = {};
  for (const field of secretFields) {
    const v = value(field);
    if (v === undefined) continue;
    if (field === 'totp_secret') {
      try {
        secrets[field] = normaliseTotpSecret(v);
      } catch {
        // The message never echoes the value: it is a secret.
        bad(field, 'expected a base32 secret (letters A–Z and digits 2–7, at least 16)');
      }
    } else secrets[field] = v;
  }
  return {
    valid: issues.length === before,
    line,
    niche: value('niche') ?? null,
    device: value('device') ?? null,
    secrets,
    row: {
      id: randomUUID(),
      platform,
      username,
      current_state: state,
      bio: value('bio') ?? null,
      profile_pic_url: value('profile_pic_url') ?? null,
      followers: counts.followers ?? 0,
      following: counts.following ?? 0,
    },
  };
}

/** Every row checked, on its own, across rows and against the database; nothing written. */
async function checkImport(
  deps: Pick<AccountDeps, 'db' | 'scope'>,
  text: string,
  source: string,
  onProgress?: ImportProgress,
) {
  const { header, records, issues } = readCsv(text, source);
  checkHeader(header, source, importColumns, ['platform', 'username']);

  const candidates: Candidate[] = [];
  const seen = new Map<string, number>();
  records.forEach(({ line, fields }, i) => {
    const candidate = checkRow(header, line, fields, issues);
    if (candidate) {
      const key = `${candidate.row.platform}:${candidate.row.username.toLowerCase()}`;
      const earlier = seen.get(key);
      if (candidate.valid && earlier !== undefined) {
        issues.push({
          line,
          field: 'username',
          message: `username: "${candidate.row.username}" is already on line ${earlier}`,
        });
        candidate.valid = false;
      } else if (candidate.valid) {
        seen.set(key, line);
      }
      candidates.push(candidate);
    }
    if (i % 5_000 === 0) onProgress?.('check', i, records.length);
  });

  // Database checks, in bulk: taken usernames, unknown niches and devices.
  const taken = await existingLiveUsernames(
    deps.db,
    candidates.filter((c) => c.valid).map((c) => ({ platform: c.row.platform, username: c.row.username })),
  );
  // A niche outside the caller's niches is no niche for them (niche-scope.ts).
  const niches = new Map(
    [
      ...(await nicheIdsBySlug(deps.db, [...new Set(candidates.flatMap((c) => (c.niche ? [c.niche] : [])))])),
    ].filter(([, id]) => inNicheScope(deps.scope, id)),
  );
  const devices = await deviceIdsByRef(deps.db, [
    ...new Set(candidates.flatMap((c) => (c.device ? [c.device] : []))),
  ]);
  for (const c of candidates) {
    if (c.valid && taken.has(`${c.row.platform}:${c.row.username.toLowerCase()}`)) {
      issues.push({
        line: c.line,
        field: 'username',
        message: `username: a live ${c.row.platform} account "${c.row.username}" already exists`,
      });
    }
    if (c.niche && !niches.has(c.niche))
      issues.push({ line: c.line, field: 'niche', message: `niche: no niche "${c.niche}"` });
    if (!c.niche && deps.scope)
      issues.push({
        line: c.line,
        field: 'niche',
        message: 'niche: you are limited to some niches: name one',
      });
    if (c.device && !devices.has(c.device)) {
      issues.push({
        line: c.line,
        field: 'device',
        message: `device: no device with id, udid or name "${c.device}"`,
      });
    }
  }
  onProgress?.('check', records.length, records.length);
  return { candidates, niches, devices, issues };
}

/**
 * What importing the file would find wrong, without writing anything (the dashboard's preview): every bad
 * line, including a bad header or unreadable CSV, as issues rather than an error.
 */
export async function checkAccountsCsv(
  deps: Pick<AccountDeps, 'db' | 'scope'>,
  text: string,
  source: string,
): Promise<{ rows: number; issues: ImportIssue[] }> {
  try {
    const { candidates, issues } = await checkImport(deps, text, source);
    return { rows: candidates.length, issues: [...issues].sort((a, b) => a.line - b.line) };
  } catch (err) {
    const found = err instanceof SoviError ? err.details.issues : undefined;
    if (!Array.isArray(found)) throw err;
    return { rows: 0, issues: found as ImportIssue[] };
  }
}

export async function importAccountsCsv(
  deps: AccountDeps,
  text: string,
  options: { source: string; onProgress?: ImportProgress },
): Promise<{ imported: number }> {
  const { source, onProgress } = options;
  const { candidates, niches, devices, issues } = await checkImport(deps, text, source, onProgress);
  if (issues.length > 0) throw importRefused(source, issues);

  // All rows are good: seal the secrets (each bound to its row) and write everything in one transaction.
  const rows = candidates.map((c) => {
    const sealed: Partial<NewAccountRow> = {};
    for (const [field, plaintext] of Object.entries(c.secrets) as [SecretField, string][]) {
      if (field === 'proxy_credentials') {
        sealed.proxy_credentials = deps.vault.sealText(plaintext, {
          table: 'accounts',
          column: field,
          rowId: c.row.id,
        });
      } else {
        const column = `${field}_enc` as const;
        sealed[column] = deps.vault.seal(plaintext, { table: 'accounts', column, rowId: c.row.id });
      }
    }
    return {
      ...c.row,
      ...sealed,
      niche_id: c.niche ? (niches.get(c.niche) ?? null) : null,
      device_id: c.device ? (devices.get(c.device) ?? null) : null,
    };
  });
  try {
    await deps.db.transaction().execute(async (trx) => {
      for (const { rows: chunk, done } of chunks(rows, CHUNK)) {
        await insertAccountRows(trx, chunk);
        await recordActivity(
          trx,
          chunk.map((r) => ({
            account_id: r.id,
            device_id: r.device_id,
            action_type: 'account_imported',
            detail: { actor: deps.actor, source },
          })),
        );
        onProgress?.('write', done, rows.length);
      }
      // Each account's activity log has its account_imported row; the audit trail one record per file.
      await recordImport(
        trx,
        { actor: deps.actor, action: 'account.import', targetType: 'account', source },
        { imported: rows.length },
      );
      await recordEvent(trx, {
        category: 'account',
        severity: 'info',
        eventType: 'accounts_imported',
        message: `${deps.actor} imported ${rows.length} accounts from ${source}`,
        context: { actor: deps.actor, source, count: rows.length },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new SoviError(
        'conflict',
        `${source}: an account with one of these usernames was added while importing; nothing was imported, run it again`,
        { field: 'username' },
      );
    }
    throw err;
  }
  return { imported: rows.length };
}
