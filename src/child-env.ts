// The environment every child process sovi starts (ffmpeg, ffprobe, espeak-ng, pg_ctl, useradd) gets. A
// child inherits process.env by default, and that holds SOVI_VAULT_KEYS, DATABASE_URL
// with its password, SOVI_LLM_API_KEY…: readable by anyone who can read /proc/<pid>/environ of a long
// ffmpeg run. So children get an allowlist of what a tool needs to find programs, temp files and its
// locale, and nothing else.
const PASSED_THROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMPDIR', 'TZ'] as const;

/** A clean environment for a child process: the allowlisted variables of this one, then `overrides`. */
export function childEnvironment(
  overrides: Readonly<Record<string, string>> = {},
  parent: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...overrides };
}
