// @no-database
// Finding ffmpeg, ffprobe and espeak-ng the way a fresh machine does (PATH, then the npm packages), the clear
// error when a configured tool is missing, and running a tool: deadlines and aborts kill the child.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SoviError } from '../../src/errors.ts';
import { runTool } from '../../src/media/run-tool.ts';
import { findMediaTools, forgetMediaTools } from '../../src/media/tools.ts';
import { tempDir } from './fixtures/media.ts';

const unset = { ffmpeg: undefined, ffprobe: undefined, espeak: undefined };

let scratch: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  scratch = await tempDir();
});
afterAll(() => scratch.remove());
afterEach(() => forgetMediaTools());

/** A shell script posing as a tool: it answers every question with one line and nothing else. */
async function impostor(name: string): Promise<string> {
  const dir = path.join(scratch.dir, `impostor-${name}`);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\necho "${name} version 0.0-impostor"\n`, { mode: 0o755 });
  return file;
}

describe('finding the media tools', () => {
  it('finds an ffmpeg that can render, an ffprobe and a font without any setting', async () => {
    const tools = await findMediaTools(unset);
    expect(tools.capabilities).toMatchObject({
      libx264: true,
      aac: true,
      subtitles: true,
      geq: true,
      blackdetect: true,
      volumedetect: true,
    });
    expect(tools.versions.ffmpeg).toMatch(/^ffmpeg version/);
    expect(tools.versions.ffprobe).toMatch(/^ffprobe version/);
    expect(['path', 'npm']).toContain(tools.sources.ffmpeg);
    expect(tools.fontsDir).not.toBeNull();
    // The npm package's WebAssembly build means there is always a voice after `npm ci`.
    expect(tools.espeak).not.toBeNull();
    expect(tools.versions.espeak).toMatch(/eSpeak NG/);
  });

  it('answers from its cache the second time', async () => {
    const first = findMediaTools(unset);
    expect(findMediaTools(unset)).toBe(first);
    await first;
  });

  it('says which variable to fix when SOVI_FFMPEG names a file that does not exist', async () => {
    const missing = path.join(scratch.dir, 'no-such-ffmpeg');
    const error = await findMediaTools({ ...unset, ffmpeg: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SoviError);
    expect(error).toMatchObject({ code: 'unavailable', details: { field: 'SOVI_FFMPEG' } });
    expect((error as SoviError).message).toMatch(
      /^ffmpeg not found: SOVI_FFMPEG is .*no-such-ffmpeg, which does not exist/,
    );
    // Asking again after a failure looks again (the failure is not cached).
    await expect(findMediaTools({ ...unset, ffmpeg: missing })).rejects.toThrow(/SOVI_FFMPEG/);
  });

  it('says which variable to fix when SOVI_FFPROBE or SOVI_ESPEAK is wrong', async () => {
    await expect(findMediaTools({ ...unset, ffprobe: '/nonexistent/ffprobe' })).rejects.toMatchObject({
      code: 'unavailable',
      details: { field: 'SOVI_FFPROBE' },
    });
    await expect(findMediaTools({ ...unset, espeak: '/nonexistent/espeak-ng' })).rejects.toMatchObject({
      code: 'unavailable',
      details: { field: 'SOVI_ESPEAK' },
    });
  });

  it('refuses a configured ffmpeg that cannot render, naming what it lacks', async () => {
    const fake = await impostor('ffmpeg');
    await expect(findMediaTools({ ...unset, ffmpeg: fake })).rejects.toThrow(
      /SOVI_FFMPEG is .*lacks libx264, aac, subtitles/,
    );
  });

  it('passes over an ffmpeg on PATH that cannot render for the bundled one', async () => {
    const fake = await impostor('ffmpeg');
    const saved = process.env.PATH;
    process.env.PATH = `${path.dirname(fake)}${path.delimiter}${saved ?? ''}`;
    try {
      const tools = await findMediaTools(unset);
      expect(tools.sources.ffmpeg).toBe('npm');
      expect(tools.ffmpeg).toContain('@ffmpeg-installer');
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('running a tool', () => {
  // An endless encode: it only stops when it is killed.
  const endless = [
    '-hide_banner',
    '-nostdin',
    '-f',
    'lavfi',
    '-i',
    'testsrc=s=1080x1920:r=30',
    '-f',
    'null',
    '-',
  ];

  it('kills the child promptly when the caller aborts, and settles only once it is gone', async () => {
    const { ffmpeg } = await findMediaTools(unset);
    const controller = new AbortController();
    let pid = 0;
    const running = runTool(ffmpeg, endless, {
      signal: controller.signal,
      onSpawn: (p) => {
        pid = p;
        setTimeout(() => controller.abort(new Error('content cancelled')), 200);
      },
    });
    await expect(running).rejects.toThrow('content cancelled');
    expect(pid).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it("gives a running ffmpeg none of sovi's secrets in its environment (/proc/<pid>/environ)", async () => {
    const { ffmpeg } = await findMediaTools(unset);
    const secrets = {
      SOVI_VAULT_KEYS: 'k1:c2VjcmV0LWtleS1tYXRlcmlhbA==',
      SOVI_SESSION_SECRET: 'x'.repeat(40),
    };
    Object.assign(process.env, secrets);
    const controller = new AbortController();
    let environ = '';
    try {
      const running = runTool(ffmpeg, endless, {
        signal: controller.signal,
        onSpawn: (pid) => {
          // Read while it runs, as another local user could, then stop it.
          void fs
            .readFile(`/proc/${pid}/environ`, 'utf8')
            .then((text) => (environ = text))
            .finally(() => controller.abort(new Error('read')));
        },
      });
      await expect(running).rejects.toThrow('read');
    } finally {
      for (const name of Object.keys(secrets)) delete process.env[name];
    }
    const names = environ
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.split('=')[0]);
    expect(names).toContain('PATH');
    expect(
      names.filter((name) => !['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'TZ'].includes(name!)),
    ).toEqual([]);
    expect(environ).not.toContain('c2VjcmV0LWtleS1tYXRlcmlhbA');
  });

  it('runs a tool with only the allowlisted variables of this process', async () => {
    process.env.SOVI_VAULT_KEYS = 'k1:c2VjcmV0LWtleS1tYXRlcmlhbA==';
    try {
      const { stdout } = await runTool(process.execPath, [
        '-e',
        'process.stdout.write(JSON.stringify(process.env))',
      ]);
      const env = JSON.parse(stdout) as Record<string, string>;
      expect(env.SOVI_VAULT_KEYS).toBeUndefined();
      expect(env.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.SOVI_VAULT_KEYS;
    }
  });

  it('kills the child at its deadline', async () => {
    const { ffmpeg } = await findMediaTools(unset);
    const started = performance.now();
    await expect(runTool(ffmpeg, endless, { timeoutMs: 300 })).rejects.toThrow(
      /ffmpeg did not finish within 300 ms/,
    );
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('does not start at all under an aborted signal', async () => {
    const { ffmpeg } = await findMediaTools(unset);
    let started = false;
    const signal = AbortSignal.abort(new Error('already cancelled'));
    await expect(runTool(ffmpeg, endless, { signal, onSpawn: () => (started = true) })).rejects.toThrow(
      'already cancelled',
    );
    expect(started).toBe(false);
  });

  it('reports a failing tool with the end of what it said', async () => {
    const { ffmpeg } = await findMediaTools(unset);
    const error = await runTool(ffmpeg, ['-hide_banner', '-i', path.join(scratch.dir, 'missing.mp4')]).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'internal', details: { tool: 'ffmpeg', exitCode: 1 } });
    expect((error as Error).message).toMatch(
      /^ffmpeg failed \(exit status 1\): .*missing\.mp4: No such file/,
    );
  });

  it('passes arguments as they are, never through a shell', async () => {
    const { stdout } = await runTool('/bin/echo', ['$(rm -rf /)', '; ls', '`id`']);
    expect(stdout).toBe('$(rm -rf /) ; ls `id`\n');
  });
});
