// Bundles the libraries every command loads whose many small files cost most of a command's start: kysely
// (255 modules) and zod (95). Node reads, compiles and links each file of a package on every start; one
// bundle per entry point does that work once, at install (`prepare` runs `npm run build:vendor`). Measured
// alone on this machine: kysely 260–600 ms and +23 MB as files, 40–100 ms and +5 MB bundled.
//
// bin/sovi.js resolves these packages' ESM entry points to the bundles (dist/vendor/manifest.json) only while
// each bundled version is the one installed; otherwise, and for `require`, Node loads them from node_modules
// as before. Only libraries are bundled, never sovi's sources, so a command never runs stale code of ours.
// All entry points of a package are built together, sharing chunks, so `zod` and `zod/v4/core` (what
// fastify-type-provider-zod and the MCP SDK import) stay one instance as they are from node_modules.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'rolldown';

/** The bundled packages: pure ESM, no dependencies of their own, loaded by every command. */
export const VENDORED = ['kysely', 'zod'] as const;

export const VENDOR_DIR = path.resolve(import.meta.dirname, '..', 'dist', 'vendor');

export interface VendorManifest {
  /** Per package, the version bundled; bin/sovi.js compares it with the installed one. */
  readonly versions: Record<string, string>;
  /** Each bundled specifier (`zod/v4/core`) and its bundle, relative to the manifest. */
  readonly entries: Record<string, string>;
}

/** Where npm installs the packages (top level, where bin/sovi.js looks for their versions). */
const modules = path.resolve(import.meta.dirname, '..', 'node_modules');

interface PackageJson {
  version: string;
  exports: Record<string, string | Record<string, unknown>>;
}

const readPackage = (name: string): PackageJson =>
  JSON.parse(fs.readFileSync(path.join(modules, name, 'package.json'), 'utf8')) as PackageJson;

/** A package's ESM entry points, by specifier: its exports with an `import` or `default` file, no patterns. */
function entryPoints(name: string): Map<string, string> {
  const dir = path.join(modules, name);
  const pkg = readPackage(name);
  const entries = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath.includes('*') || subpath.endsWith('.json')) continue;
    const file = typeof target === 'string' ? target : (target.import ?? target.default);
    if (typeof file !== 'string' || !/\.m?js$/.test(file)) continue;
    entries.set(subpath === '.' ? name : `${name}/${subpath.slice(2)}`, path.join(dir, file));
  }
  return entries;
}

export async function buildVendor(): Promise<VendorManifest> {
  fs.rmSync(VENDOR_DIR, { recursive: true, force: true });
  const versions: Record<string, string> = {};
  const entries: Record<string, string> = {};
  for (const name of VENDORED) {
    const points = entryPoints(name);
    const input = Object.fromEntries(
      [...points].map(([specifier, file]) => [specifier.replaceAll('/', '__'), file]),
    );
    await build({
      input,
      platform: 'node',
      // An entry's exports are the package's API: keep them all, not only what some importer uses.
      preserveEntrySignatures: 'strict',
      output: { dir: path.join(VENDOR_DIR, name), format: 'esm', entryFileNames: '[name].js' },
      logLevel: 'warn',
    });
    versions[name] = readPackage(name).version;
    for (const specifier of points.keys()) {
      entries[specifier] = `${name}/${specifier.replaceAll('/', '__')}.js`;
    }
  }
  const manifest: VendorManifest = { versions, entries };
  fs.writeFileSync(path.join(VENDOR_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const manifest = await buildVendor();
  process.stdout.write(`vendor bundles: ${Object.keys(manifest.entries).join(', ')} in ${VENDOR_DIR}\n`);
}
