// src/db/types.generated.ts is what kysely-codegen makes of the migrated schema: regenerate with
// `npm run db:codegen` when this fails.
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateDbTypes, TYPES_FILE } from '../../scripts/generate-db-types.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

describe('generated database types', () => {
  it('match the migrations (run `npm run db:codegen` if not)', async () => {
    const committed = await fs.readFile(TYPES_FILE, 'utf8');
    expect(await generateDbTypes(t.url)).toBe(committed);
  });
});
