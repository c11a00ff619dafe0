// The demo never touches real data: before it writes anything (migrations included), it looks for rows it
// did not create itself and refuses the database if there are any, naming what it found. Its own rows are
// recognised by their names (demo-data.ts), so running the demo again on its own home still works.
import type { Database } from '../db/database.ts';
import { SoviError } from '../errors.ts';
import { rowsOutside, type CensusEntry } from '../overview/census-reads.ts';
import { demoKnownRows } from './demo-data.ts';

export async function refuseRealData(database: Database, home: string): Promise<void> {
  const found = await rowsOutside(database.db, demoKnownRows());
  if (found.length === 0) return;
  const where = database.kind === 'embedded' ? `the database in ${home}` : database.description;
  throw new SoviError(
    'conflict',
    `the demo refuses ${where}: it holds data the demo did not create (${found.map(describe).join(', ')}); ` +
      'run the demo without SOVI_HOME/DATABASE_URL (it then uses ./.sovi-demo) or point them at an empty home',
    { field: 'SOVI_HOME', found },
  );
}

/** "3 accounts (alice, dave, carol…)". */
function describe(entry: CensusEntry): string {
  const more = entry.count > entry.examples.length ? '…' : '';
  return `${entry.count} ${entry.kind} (${entry.examples.join(', ')}${more})`;
}
