// What people type for --target (a device name or udid, an account platform:username, a niche slug, an id)
// to the record the trail names. Each kind is resolved by its own domain's service. A name that no longer
// resolves (a removed device, a renamed niche) still finds the records made under it, by their label.
import { findAccount } from '../accounts/accounts-service.ts';
import type { Executor } from '../db/executor.ts';
import { findDeviceByRef } from '../devices/devices-service.ts';
import { SoviError, invalidInput } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { getNiche } from '../niches/niches-service.ts';
import { isPlatform } from '../platforms.ts';
import type { AuditFilter } from './audit-repository.ts';

const missing = (err: unknown) => err instanceof SoviError && err.code === 'not_found';

export async function resolveAuditTarget(
  db: Executor,
  text: string,
): Promise<NonNullable<AuditFilter['target']>> {
  const ref = text.trim();
  if (ref === '') throw invalidInput('target', 'target: must not be empty');
  // An id is every record's id whatever its type: accounts, devices, content, hooks… (uuids) and events (numbers).
  if (isUuid(ref)) return { id: ref.toLowerCase() };
  if (/^\d+$/.test(ref)) return { id: ref };
  const prefix = ref.split(':', 1)[0]!;
  if (ref.includes(':') && isPlatform(prefix)) {
    try {
      return { type: 'account', id: (await findAccount(db, ref)).id };
    } catch (err) {
      if (!missing(err)) throw err;
      return { label: ref };
    }
  }
  for (const resolve of [
    async () => ({ type: 'device', id: (await findDeviceByRef(db, ref)).id }),
    async () => ({ type: 'niche', id: (await getNiche(db, ref, 'target')).id }),
  ]) {
    try {
      return await resolve();
    } catch (err) {
      if (!missing(err)) throw err;
    }
  }
  return { label: ref };
}
