// Finds the media tools once per process: ffmpeg, ffprobe and espeak-ng, each from its explicit setting
// (SOVI_FFMPEG, SOVI_FFPROBE, SOVI_ESPEAK), else from PATH, else from the npm package that ships it. An
// explicit setting that does not work is an error, never silently replaced. An ffmpeg on PATH that lacks what
// sovi renders with (libx264, aac, libass…) is passed over for the bundled one, with a warning.
//
// npm packages: @ffmpeg-installer/<os>-<arch> (a static ffmpeg 4.1 with libx264, aac, libass, fontconfig),
// ffprobe-static (a static ffprobe 4.0), espeak-ng (espeak-ng 1.52 compiled to WebAssembly, run under this
// Node in a child process by espeak-wasm.ts), dejavu-fonts-ttf (the caption font, whatever fonts the machine
// has). None of them needs an install script.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Config } from '../config.ts';
import { SoviError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { runTool } from './run-tool.ts';

export type ToolSource = 'config' | 'path' | 'npm';

export interface FfmpegCapabilities {
  libx264: boolean;
  aac: boolean;
  /** libass: the `subtitles` filter that burns in the captions. */
  subtitles: boolean;
  drawtext: boolean;
  /** The generated backgrounds. */
  geq: boolean;
  anullsrc: boolean;
  /** The quality checks. */
  blackdetect: boolean;
  volumedetect: boolean;
}

export interface MediaTools {
  ffmpeg: string;
  ffprobe: string;
  /** The espeak-ng binary, or the npm package's WebAssembly build; null when neither is there. */
  espeak: string | null;
  /** How to start espeak-ng: the command and the arguments that come before espeak-ng's own. */
  espeakCommand: { command: string; args: string[] } | null;
  sources: { ffmpeg: ToolSource; ffprobe: ToolSource; espeak: ToolSource | null };
  /** The first line of each tool's own version output. */
  versions: { ffmpeg: string; ffprobe: string; espeak: string | null };
  capabilities: FfmpegCapabilities;
  /** A folder holding DejaVu Sans (Bold), handed to libass; null leaves the font to fontconfig. */
  fontsDir: string | null;
}

/** What sovi's own commands need; an ffmpeg without one of these cannot render or check a video. */
const REQUIRED: (keyof FfmpegCapabilities)[] = [
  'libx264',
  'aac',
  'subtitles',
  'geq',
  'anullsrc',
  'blackdetect',
  'volumedetect',
];

const PROBE_TIMEOUT_MS = 30_000;
const require = createRequire(import.meta.url);
const cache = new Map<string, Promise<MediaTools>>();

export function findMediaTools(tools: Config['content']['tools'], logger?: Logger): Promise<MediaTools> {
  const key = JSON.stringify([tools.ffmpeg, tools.ffprobe, tools.espeak]);
  let found = cache.get(key);
  if (found === undefined) {
    found = locateAll(tools, logger);
    cache.set(key, found);
    // A failure is not remembered: installing the tool and asking again must work without a restart.
    found.catch(() => cache.delete(key));
  }
  return found;
}

/** Forgets what was found, so the next findMediaTools looks again (tests). */
export function forgetMediaTools(): void {
  cache.clear();
}

async function locateAll(tools: Config['content']['tools'], logger?: Logger): Promise<MediaTools> {
  const [ffmpeg, ffprobe, espeak] = await Promise.all([
    locateFfmpeg(tools.ffmpeg, logger),
    locateFfprobe(tools.ffprobe),
    locateEspeak(tools.espeak),
  ]);
  const found: MediaTools = {
    ffmpeg: ffmpeg.path,
    ffprobe: ffprobe.path,
    espeak: espeak?.path ?? null,
    espeakCommand: espeak ? { command: espeak.command, args: espeak.args } : null,
    sources: { ffmpeg: ffmpeg.source, ffprobe: ffprobe.source, espeak: espeak?.source ?? null },
    versions: { ffmpeg: ffmpeg.version, ffprobe: ffprobe.version, espeak: espeak?.version ?? null },
    capabilities: ffmpeg.capabilities,
    fontsDir: findFontsDir(),
  };
  logger?.info(
    { sources: found.sources, versions: found.versions, fontsDir: found.fontsDir },
    `media tools: ffmpeg ${found.ffmpeg}, ffprobe ${found.ffprobe}, espeak-ng ${found.espeak ?? 'none (silent voice-overs)'}`,
  );
  return found;
}

interface Candidate {
  path: string;
  source: ToolSource;
}

async function locateFfmpeg(configured: string | undefined, logger?: Logger) {
  const todo: Candidate[] = configured
    ? [{ path: configured, source: 'config' }]
    : [{ path: 'ffmpeg', source: 'path' }, ...npmCandidate(bundledFfmpeg)];
  const passedOver: string[] = [];
  for (const candidate of todo) {
    const version = await versionOf(candidate, 'SOVI_FFMPEG', 'ffmpeg');
    if (version === null) continue;
    const capabilities = await capabilitiesOf(candidate.path);
    const missing = REQUIRED.filter((name) => !capabilities[name]);
    if (missing.length === 0) return { ...candidate, version, capabilities };
    const problem = `${candidate.path} (${version}) lacks ${missing.join(', ')}`;
    if (candidate.source === 'config') {
      throw new SoviError(
        'unavailable',
        `ffmpeg not usable: SOVI_FFMPEG is ${problem}; point it at an ffmpeg built with libx264, aac and libass, ` +
          'or unset it to use the bundled one',
        { field: 'SOVI_FFMPEG' },
      );
    }
    logger?.warn(`passing over the ffmpeg on PATH: ${problem}`);
    passedOver.push(problem);
  }
  throw new SoviError(
    'unavailable',
    'ffmpeg not found: run `npm ci` to install the bundled one (@ffmpeg-installer/ffmpeg), install an ffmpeg ' +
      'with libx264, aac and libass on PATH, or set SOVI_FFMPEG to its path' +
      (passedOver.length ? ` (passed over: ${passedOver.join('; ')})` : ''),
    { field: 'SOVI_FFMPEG' },
  );
}

async function locateFfprobe(configured: string | undefined) {
  const todo: Candidate[] = configured
    ? [{ path: configured, source: 'config' }]
    : [{ path: 'ffprobe', source: 'path' }, ...npmCandidate(bundledFfprobe)];
  for (const candidate of todo) {
    const version = await versionOf(candidate, 'SOVI_FFPROBE', 'ffprobe');
    if (version !== null) return { ...candidate, version };
  }
  throw new SoviError(
    'unavailable',
    'ffprobe not found: run `npm ci` to install the bundled one (ffprobe-static), install ffprobe on PATH, ' +
      'or set SOVI_FFPROBE to its path',
    { field: 'SOVI_FFPROBE' },
  );
}

async function locateEspeak(configured: string | undefined) {
  if (configured) {
    const candidate: Candidate = { path: configured, source: 'config' };
    const version = await versionOf(candidate, 'SOVI_ESPEAK', 'espeak-ng');
    return version === null ? null : { ...candidate, command: configured, args: [], version };
  }
  const onPath: Candidate = { path: 'espeak-ng', source: 'path' };
  const pathVersion = await versionOf(onPath, 'SOVI_ESPEAK', 'espeak-ng');
  if (pathVersion !== null) return { ...onPath, command: 'espeak-ng', args: [], version: pathVersion };
  const wasm = bundledEspeak();
  if (wasm === null) return null;
  try {
    const { stdout } = await runTool(wasm.command, [...wasm.args, '--version'], {
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    return { ...wasm, source: 'npm' as const, version: firstLine(stdout) };
  } catch {
    return null;
  }
}

/** The npm package's WebAssembly espeak-ng, run by this Node through espeak-wasm.ts; null when not installed. */
export function bundledEspeak(): { path: string; command: string; args: string[] } | null {
  const wasm = resolveOrNull('espeak-ng');
  if (wasm === null) return null;
  const args = [
    // Node 22.12–22.17 strip types only behind a flag (see bin/sovi.js), which a child does not inherit.
    ...(process.features.typescript && !process.execArgv.includes('--experimental-strip-types')
      ? []
      : ['--experimental-strip-types', '--disable-warning=ExperimentalWarning']),
    path.join(import.meta.dirname, 'espeak-wasm.ts'),
    wasm,
  ];
  return { path: wasm, command: process.execPath, args };
}

/**
 * The tool's version line, or null when there is no such program. A configured path that does not work is
 * an error naming the variable: a typo must not quietly fall back to something else.
 */
async function versionOf(candidate: Candidate, field: string, name: string): Promise<string | null> {
  try {
    const flag = name === 'espeak-ng' ? '--version' : '-version';
    const { stdout } = await runTool(candidate.path, [flag], { timeoutMs: PROBE_TIMEOUT_MS });
    return firstLine(stdout);
  } catch (err) {
    if (candidate.source !== 'config') return null;
    const exists = fs.existsSync(candidate.path);
    const why = exists
      ? `it does not run as ${name} (${err instanceof Error ? err.message : String(err)})`
      : 'which does not exist';
    throw new SoviError(
      'unavailable',
      `${name} not found: ${field} is ${candidate.path}, ${why}; point ${field} at a working ${name}, ` +
        'or unset it to use the one on PATH or the bundled npm package',
      { field },
      { cause: err },
    );
  }
}

async function capabilitiesOf(ffmpeg: string): Promise<FfmpegCapabilities> {
  const [encoders, filters] = await Promise.all([
    runTool(ffmpeg, ['-hide_banner', '-encoders'], { timeoutMs: PROBE_TIMEOUT_MS }),
    runTool(ffmpeg, ['-hide_banner', '-filters'], { timeoutMs: PROBE_TIMEOUT_MS }),
  ]);
  // " V..... libx264   libx264 H.264 …" and " T.C drawtext   V->V  Draw text …"
  const encoderNames = names(encoders.stdout, /^\s*[VAS][A-Z.]{5}\s+(\S+)/);
  const filterNames = names(filters.stdout, /^\s*[A-Z.]{2,3}\s+(\S+)\s+\S*->\S*/);
  return {
    libx264: encoderNames.has('libx264'),
    aac: encoderNames.has('aac'),
    subtitles: filterNames.has('subtitles'),
    drawtext: filterNames.has('drawtext'),
    geq: filterNames.has('geq'),
    anullsrc: filterNames.has('anullsrc'),
    blackdetect: filterNames.has('blackdetect'),
    volumedetect: filterNames.has('volumedetect'),
  };
}

function names(listing: string, pattern: RegExp): Set<string> {
  const found = new Set<string>();
  for (const line of listing.split('\n')) {
    const name = pattern.exec(line)?.[1];
    if (name !== undefined) found.add(name);
  }
  return found;
}

const firstLine = (text: string): string => text.trim().split('\n')[0]?.trim() ?? '';

function npmCandidate(locate: () => string | null): Candidate[] {
  const found = locate();
  return found === null ? [] : [{ path: found, source: 'npm' }];
}

function bundledFfmpeg(): string | null {
  const pkg = `@ffmpeg-installer/${process.platform}-${process.arch}`;
  const binary = process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg';
  // Hoisted next to sovi's dependencies, or nested under the meta package.
  const meta = resolveOrNull('@ffmpeg-installer/ffmpeg/package.json');
  const manifest =
    resolveOrNull(`${pkg}/package.json`) ??
    (meta === null ? null : resolveOrNull(`${pkg}/package.json`, createRequire(meta)));
  return existing(manifest === null ? null : path.join(path.dirname(manifest), binary));
}

function bundledFfprobe(): string | null {
  // Not require('ffprobe-static'): its index exits the process on a platform it lacks.
  const manifest = resolveOrNull('ffprobe-static/package.json');
  const binary = process.platform === 'win32' ? 'ffprobe.exe' : 'ffprobe';
  return existing(
    manifest === null
      ? null
      : path.join(path.dirname(manifest), 'bin', process.platform, process.arch, binary),
  );
}

function findFontsDir(): string | null {
  const bundled = resolveOrNull('dejavu-fonts-ttf/package.json');
  const candidates = [
    ...(bundled === null ? [] : [path.join(path.dirname(bundled), 'ttf')]),
    '/usr/share/fonts/truetype/dejavu',
  ];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'DejaVuSans-Bold.ttf'))) ?? null;
}

function resolveOrNull(specifier: string, from: NodeJS.Require = require): string | null {
  try {
    return from.resolve(specifier);
  } catch {
    return null;
  }
}

const existing = (file: string | null): string | null => (file !== null && fs.existsSync(file) ? file : null);
