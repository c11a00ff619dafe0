// @no-database
// The warming policy: defaults, overrides from a file, and the due and progression rules.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isDueInState as isDue } from '../../src/warming/due-rule.ts';
import {
  dayCountAfter,
  defaultWarmingPolicy,
  loadWarmingPolicy,
  stateAfterSuccess,
} from '../../src/warming/warming-policy.ts';

const p = defaultWarmingPolicy;
const at = (iso: string) => new Date(iso);

describe('due', () => {
  it('is due when never warmed, under the day cap, and past the state gap', () => {
    expect(isDue(p, { state: 'created', lastWarmedAt: null }, 0, at('2026-01-01T10:00Z'))).toBe(true);
    expect(
      isDue(p, { state: 'warming_p1', lastWarmedAt: at('2026-01-01T06:00Z') }, 1, at('2026-01-01T10:00Z')),
    ).toBe(true);
    expect(
      isDue(p, { state: 'warming_p1', lastWarmedAt: at('2026-01-01T06:01Z') }, 1, at('2026-01-01T10:00Z')),
    ).toBe(false);
    expect(
      isDue(p, { state: 'warming_p1', lastWarmedAt: at('2026-01-01T00:00Z') }, 2, at('2026-01-01T10:00Z')),
    ).toBe(false);
  });
});

describe('progression', () => {
  it('counts a warming day per UTC day with a successful session', () => {
    expect(dayCountAfter(null, 0, at('2026-01-01T10:00Z'))).toBe(1);
    expect(dayCountAfter(at('2026-01-01T01:00Z'), 1, at('2026-01-01T23:59Z'))).toBe(1);
    expect(dayCountAfter(at('2026-01-01T23:59Z'), 1, at('2026-01-02T00:01Z'))).toBe(2);
  });

  it('starts warming on the first session and moves phases as the day counts are reached', () => {
    expect(stateAfterSuccess(p, 'created', 1)).toBe('warming_p1');
    expect(stateAfterSuccess(p, 'warming_p1', 2)).toBeNull();
    expect(stateAfterSuccess(p, 'warming_p1', 3)).toBe('warming_p2');
    expect(stateAfterSuccess(p, 'warming_p2', 6)).toBeNull();
    expect(stateAfterSuccess(p, 'warming_p2', 7)).toBe('warming_p3');
    expect(stateAfterSuccess(p, 'warming_p3', 14)).toBe('active');
    expect(stateAfterSuccess(p, 'active', 40)).toBeNull();
  });
});

describe('policy file', () => {
  async function file(content: string): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sovi-policy-'));
    const f = path.join(dir, 'policy.json');
    await fs.writeFile(f, content);
    return f;
  }

  it('overrides only what it names', async () => {
    const policy = loadWarmingPolicy(
      await file(JSON.stringify({ warming_p1: { days: 5 }, deviceFailureLimit: 2 })),
    );
    expect(policy.warming_p1).toEqual({ ...p.warming_p1, days: 5 });
    expect(policy.warming_p2).toEqual(p.warming_p2);
    expect(policy.deviceFailureLimit).toBe(2);
  });

  it.each([
    ['{"warming_p1": {"days": 0}}', /warming_p1\.days/],
    ['{"warming_p4": {}}', /Unrecognized key.*warming_p4/i],
    ['{"active": {"sessionsPerDay": -1}}', /active\.sessionsPerDay/],
    ['not json', /cannot read .* as JSON/],
  ])('refuses %s, naming the file and the key', async (content, message) => {
    const f = await file(content);
    expect(() => loadWarmingPolicy(f)).toThrow(message);
    expect(() => loadWarmingPolicy(f)).toThrow(/SOVI_WARMING_POLICY_FILE/);
  });
});
