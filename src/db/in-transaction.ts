// Runs `fn` in the caller's transaction when there is one, else in a new one: a write and its audit record
// (or event) commit together either way.
import type { Executor } from './executor.ts';

export const inTransaction = <T>(db: Executor, fn: (trx: Executor) => Promise<T>): Promise<T> =>
  db.isTransaction ? fn(db) : db.transaction().execute(fn);
