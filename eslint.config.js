// Strict, type-aware linting: floating promises and misused promises are bugs in a service like this.
// The second half of this file enforces the layering that ARCHITECTURE.md describes (rules L1–L6).
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// ── Layering: stated once, here. Everything below this table is generated from it. ──────────────────
// Paths are relative to src/. Every folder under src/ that is neither an edge nor infrastructure is a
// domain; the folder list is read from disk at each run, so a new domain is covered the day it appears.
const LAYERING = {
  // Root modules every layer may import.
  kernel: [
    'config.ts',
    'errors.ts',
    'ids.ts',
    'time.ts',
    'random.ts',
    'platforms.ts',
    'logger.ts',
    'redact.ts',
    'csv-import.ts',
    'child-env.ts',
  ],
  // The only modules config.ts may import (an entry ending in / allows a folder).
  configImports: ['errors.ts', 'settings/'],
  // Infrastructure: imported by everyone; imports only the kernel. settings/ holds what each subsystem can
  // be configured with (types, defaults, bounds), read by config.ts.
  infrastructure: ['db', 'settings'],
  // Edges and wiring: HTTP, CLI, queued jobs, the demo seeder and the process entry points. They call
  // services and format results.
  edges: ['http', 'cli', 'jobs', 'demo', 'mcp', 'agent', 'main-job.ts', 'host-services.ts', 'policies.ts'],
  // Edges that build no SQL either.
  sqlFree: ['http/routes', 'cli', 'mcp', 'agent'],
};

const see = ' (see ARCHITECTURE.md)';
const edgeList = LAYERING.edges.join(', ');
const RULES = {
  L1: `layering L1: edges (${edgeList}) call services, never a *-repository.ts` + see,
  L1sql:
    'layering L1: routes and commands call services; SQL (query builders, kysely values such as `sql`, raw ' +
    'queries) belongs in a repository' +
    see,
  L2: "layering L2: a domain uses another domain's service or model, never its *-repository.ts" + see,
  L3:
    `layering L3: config.ts imports nothing from src/ but ${LAYERING.configImports.join(', ')}; settings ` +
    'types and defaults live in it' +
    see,
  L4:
    'layering L4: src/db is infrastructure; it imports only itself and the root kernel ' +
    `(${LAYERING.kernel.join(', ')}), never jobs, http, cli or a domain` +
    see,
  L5: `layering L5: domains never import edges (${edgeList}); edges call domains` + see,
  L6:
    'layering L6: write relative imports in normal form (no ./../x, a/../b or a/./b) so L1–L5 can read them' +
    see,
};

// ── Generated from LAYERING. ──────────────────────────────────────────────────────────────────────────
const EXT = '{ts,tsx,mts,cts,js,mjs}';
const srcUrl = new URL('./src/', import.meta.url);
const folders = (path) =>
  readdirSync(new URL(path, srcUrl), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
// How many folder levels a tree has: 1 for a folder with no subfolders.
const depthOf = (path) => 1 + Math.max(0, ...folders(path + '/').map((sub) => depthOf(`${path}/${sub}`)));

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const anyOf = (names) => `(?:${names.map(escapeRegex).join('|')})`;
const edgeFolders = LAYERING.edges.filter((name) => !name.includes('.'));
const edgeFiles = LAYERING.edges.filter((name) => name.includes('.'));
const domains = folders('.').filter(
  (name) => !edgeFolders.includes(name) && !LAYERING.infrastructure.includes(name),
);

// Regexes over the import specifier as written. A file `depth` folders below src/ reaches src/ with exactly
// `depth` `../` (L6 keeps specifiers normalised), so anchoring on that prefix tells a sibling domain from a
// subfolder of one's own, at any depth.
// config.ts's allowed imports: a file exactly, a folder (ending in /) and all below it.
const configImports = LAYERING.configImports
  .map((name) => escapeRegex(name) + (name.endsWith('/') ? '' : '$'))
  .join('|');
const toSrc = (depth) => (depth === 0 ? '\\./' : `(?:\\.\\./){${depth}}`);
const repository = '(?:[^/]*-)?repository(?:\\.[jt]s)?$';
const importRegex = {
  L1: `(?:^|/)${repository}`,
  L2: (domain, depth) => `^${toSrc(depth)}(?!${escapeRegex(domain)}/)[^./][^/]*/(?:.*/)?${repository}`,
  L3: `^\\./(?!${configImports})`,
  L4: (depth) => `^${toSrc(depth)}(?!${anyOf(LAYERING.infrastructure)}/|${anyOf(LAYERING.kernel)}$)[^./]`,
  L5: (depth) => `^${toSrc(depth)}(?:${anyOf(edgeFolders)}/|${anyOf(edgeFiles)}$)`,
  L6: '^\\./\\.\\.?/|\\.\\./\\./|(?:^|/)(?!\\.\\.?/)[^/]+/\\.\\.?(?:/|$)',
};
const queryBuilders = [
  'selectFrom',
  'insertInto',
  'updateTable',
  'deleteFrom',
  'selectNoFrom',
  'mergeInto',
  'replaceInto',
];
const sqlSelectors = [
  `CallExpression[callee.property.name=/^${anyOf(queryBuilders)}$/]`,
  // Type-only imports from kysely are fine; values (sql, expressionBuilder, CompiledQuery, …) build SQL.
  "ImportDeclaration[source.value='kysely'][importKind='value'] > ImportSpecifier[importKind='value']",
  "ImportDeclaration[source.value='kysely'][importKind='value'] > ImportDefaultSpecifier",
  "ImportDeclaration[source.value='kysely'][importKind='value'] > ImportNamespaceSpecifier",
  "ImportExpression[source.value='kysely']",
  // Raw pg: client.query('SELECT …') / pool.query(`…`).
  'CallExpression[callee.property.name=/^(?:query|executeQuery)$/][arguments.0.type=/^(?:Literal|TemplateLiteral)$/]',
];

// The checks that hold for a file, from where it lives: { rule, regex } over import specifiers, or
// { rule, selectors, message } over syntax.
function layeringOf(path) {
  const parts = path.split('/').slice(1); // drop 'src'
  const depth = parts.length - 1;
  const [top] = parts;
  const checks = [{ rule: 'L6', regex: importRegex.L6 }];
  if (path === 'src/config.ts') checks.push({ rule: 'L3', regex: importRegex.L3 });
  else if (LAYERING.edges.includes(top)) {
    checks.push({ rule: 'L1', regex: importRegex.L1 });
    if (LAYERING.sqlFree.some((folder) => parts.join('/').startsWith(folder + '/'))) {
      checks.push({ rule: 'L1', selectors: sqlSelectors, message: RULES.L1sql });
    }
  } else if (depth > 0 && LAYERING.infrastructure.includes(top)) {
    checks.push({ rule: 'L4', regex: importRegex.L4(depth) });
  } else if (depth > 0) {
    checks.push(
      { rule: 'L2', regex: importRegex.L2(top, depth) },
      { rule: 'L5', regex: importRegex.L5(depth) },
    );
  }
  return checks;
}

function layeringRules(checks) {
  const imports = checks.filter((check) => check.regex);
  return {
    'no-restricted-imports': [
      'error',
      { patterns: imports.map(({ rule, regex }) => ({ regex, message: RULES[rule] })) },
    ],
    'no-restricted-syntax': [
      'error',
      // Lazily loaded modules (await import('…')) obey the same rules as static imports.
      ...imports.map(({ rule, regex }) => ({
        selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\u002F')}/i]`,
        message: RULES[rule],
      })),
      ...checks
        .filter((check) => check.selectors)
        .flatMap(({ selectors, message }) => selectors.map((selector) => ({ selector, message }))),
    ],
  };
}

// One block per kind of place (and per folder depth), so that each src file gets exactly one set of
// layering rules; each block takes its rules from a representative path. The known violations come last
// and override.
const under = (path) => `src/${path}/**/*.${EXT}`;
const atDepth = (folder, depth) => `src/${folder}/${'*/'.repeat(depth - 1)}*.${EXT}`;
const layeringBlocks = [
  { files: [`src/*.${EXT}`], rules: layeringRules(layeringOf('src/kernel.ts')) },
  { files: ['src/config.ts'], rules: layeringRules(layeringOf('src/config.ts')) },
  { files: edgeFiles.map((file) => `src/${file}`), rules: layeringRules(layeringOf(`src/${edgeFiles[0]}`)) },
  {
    files: edgeFolders.map(under),
    ignores: LAYERING.sqlFree.map(under),
    rules: layeringRules(layeringOf(`src/${edgeFolders[0]}/edge.ts`)),
  },
  {
    files: LAYERING.sqlFree.map(under),
    rules: layeringRules(layeringOf(`src/${LAYERING.sqlFree[0]}/edge.ts`)),
  },
  ...[...LAYERING.infrastructure, ...domains].flatMap((folder) =>
    Array.from({ length: depthOf(folder) }, (_, index) => ({
      files: [atDepth(folder, index + 1)],
      rules: layeringRules(layeringOf(`src/${folder}/${'sub/'.repeat(index)}module.ts`)),
    })),
  ),
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.sovi/',
      'coverage/',
      'test-artifacts/',
      'scratch/',
      'web/dist/',
      'dist/',
      'src/db/types.generated.ts',
      'web/src/api-types.generated.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Fastify's idiom is async handlers and plugins, awaited or not.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layeringBlocks,
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read untyped query rows on purpose.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
);
