// A conditional UPDATE is how sovi's state machines move a row: `… WHERE id = $1 AND state = $2` changes it
// only from the state the caller saw, so of two racing writers one wins and the other learns it lost.
import type { UpdateResult } from 'kysely';

/** Runs a conditional update; true when it changed a row (the compare-and-set took). */
export async function updatedAny(query: { executeTakeFirst(): Promise<UpdateResult> }): Promise<boolean> {
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
