// What every repository function takes first: the database handle or an open transaction, so that callers
// compose repository calls inside one transaction (STYLE: transactions compose).
import type { Kysely, Transaction } from 'kysely';
import type { DB } from './types.generated.ts';

export type Executor = Kysely<DB> | Transaction<DB>;
