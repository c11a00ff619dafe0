// `sovi hooks import` under malformed files: a clear refusal naming the line and field, nothing written,
// never a crash (see importer-harness.ts for what each test asserts).
import { describe, expect } from 'vitest';
import { importHooks } from '../../src/hooks/hooks-service.ts';
import { useTestDatabase } from '../helpers/database.ts';
import { asReadByCli, type Table } from './csv-files.ts';
import { fuzzCsvImporter } from './importer-harness.ts';

const t = useTestDatabase();

const badValues: Record<string, readonly string[]> = {
  category: ['Bad Category', '1abc', '', 'curiosity-gap'],
  template: ['abc', 'x'.repeat(301), 'Hello {unknown} world', 'a NUL \u0000 in the template', '{}{}{}', ''],
  effectiveness_score: ['-0.1', '1.5', 'NaN', 'abc', 'Infinity', '0x1', '1e', '½'],
  niche: ['no_such_niche', 'Motivation'],
};

let run = 0;
function validTable(rows: number): Table {
  const id = `${process.pid}_${++run}`;
  return {
    header: ['category', 'template', 'niche', 'effectiveness_score'],
    rows: Array.from({ length: rows }, (_, i) => [
      i % 2 ? 'curiosity_gap' : 'bold_claim',
      `Fuzz ${id}-${i}: nobody talks about {topic}, "in" {niche}`,
      i % 3 ? 'motivation' : '',
      i % 2 ? String((i % 10) / 10) : '',
    ]),
  };
}

describe('hooks import with malformed files', () => {
  fuzzCsvImporter({
    command: ['hooks', 'import'],
    extension: '.csv',
    pool: () => t.pool,
    env: () => ({ DATABASE_URL: t.url }),
    tables: ['hooks'],
    badValues,
    validTable,
    importFile: (bytes) => importHooks(t.db, asReadByCli(bytes), 'hooks.csv'),
    expectWritten: (result, delta) => expect(delta).toEqual({ hooks: result.imported }),
  });
});
