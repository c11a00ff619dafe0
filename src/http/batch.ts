// Batch routes (a request body of many items, checked like a file's rows): their body limit, and their 400,
// which names every bad item by its line (its position in the batch, from 1). The error handler renders it.
import { SoviError } from '../errors.ts';
import { errorSchema } from './schemas.ts';

/** Enough for 10,000 items (the batch routes' most) of every field, about 300 bytes each, with room to spare. */
export const BATCH_BODY_LIMIT = 8 * 1024 * 1024;

/** A batch route's 400. */
export const batchRefusalSchema = errorSchema.describe(
  'invalid input: every bad item named by its line (its position, from 1) and field, and how many were bad',
);

/**
 * For `.catch()` on a batch's import: a refusal naming its rows (an invalid_input with issues) is thrown again
 * as being about `field`, the body's batch, with the number of bad items; anything else as it was.
 */
export function batchRefusal(field: string): (err: unknown) => never {
  return (err) => {
    if (!(err instanceof SoviError) || err.code !== 'invalid_input' || !err.details.issues) throw err;
    const { issues } = err.details;
    const badRows =
      typeof err.details.badRows === 'number' ? err.details.badRows : new Set(issues.map((i) => i.line)).size;
    throw new SoviError('invalid_input', err.message, { ...err.details, field, badRows }, { cause: err });
  };
}
