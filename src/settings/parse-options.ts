// What configuration hands a component as JSON (a plug-in's options, a policy file) is checked with the
// component's zod schema, and a bad value is a config error (exit 78) naming the variable and the path of
// what was wrong, the same way everywhere.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { z } from 'zod';
import type * as Yaml from 'yaml';

// yaml is loaded only to read a YAML policy file: every command loads the policies' schemas, few read YAML.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof Yaml).parse(text);
import { SoviError } from '../errors.ts';

/** A JSON object of options from `variable` (e.g. SOVI_PUBLISHER_OPTIONS); the first problem is named. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, variable: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SoviError(
    'config',
    `${variable}: ${issue?.path.join('.') || 'options'}: ${issue?.message ?? 'invalid'}`,
    { field: variable },
  );
}

/**
 * A policy file named by `variable`: JSON overrides, every problem named by its path. With `yaml` allowed, a
 * file named *.yaml or *.yml is read as YAML (the same document, in the other notation).
 */
export function readPolicyFile<S extends z.ZodType>(
  schema: S,
  file: string,
  variable: string,
  options: { yaml?: boolean } = {},
): z.output<S> {
  const asYaml = options.yaml === true && /\.ya?ml$/i.test(file);
  let raw: unknown;
  try {
    const text = fs.readFileSync(file, 'utf8');
    raw = asYaml ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new SoviError(
      'config',
      `${variable}: cannot read ${file} as ${asYaml ? 'YAML' : 'JSON'} (${(err as Error).message})`,
      { field: variable },
    );
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new SoviError('config', `${variable} ${file}: ${problems.join('; ')}`, { field: variable });
}

/**
 * A policy: its defaults when no file is named, else the file's overrides (checked by `schema`) laid over
 * them by `merge`.
 */
export function loadPolicy<S extends z.ZodType, P>(
  file: string | undefined,
  variable: string,
  schema: S,
  defaults: P,
  merge: (defaults: P, overrides: z.output<S>) => P,
): P {
  return file === undefined ? defaults : merge(defaults, readPolicyFile(schema, file, variable));
}
