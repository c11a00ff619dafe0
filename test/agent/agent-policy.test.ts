// @no-database
// The triage agent's settings: SOVI_AGENT=openai needs an endpoint, and the policy file says per event type,
// category and severity what the agent may do, the first matching rule deciding, every mistake named.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { SoviError } from '../../src/errors.ts';
import { defaultAgentPolicy, loadAgentPolicy, modeFor } from '../../src/settings/agent-settings.ts';

const file = (content: string, name = 'policy.json') => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sovi-agent-'));
  name = path.join(dir, name);
  fs.writeFileSync(name, content);
  return name;
};

describe('the triage agent settings', () => {
  it('is off by default, and openai needs SOVI_LLM_URL and SOVI_LLM_MODEL', () => {
    expect(loadConfig({}).agent).toEqual({ kind: 'off', policyFile: undefined });
    expect(() => loadConfig({ SOVI_AGENT: 'openai' })).toThrow(/SOVI_AGENT=openai needs SOVI_LLM_URL/);
    expect(() => loadConfig({ SOVI_AGENT: 'openai', SOVI_LLM_URL: 'http://127.0.0.1:1/v1' })).toThrow(
      /needs SOVI_LLM_MODEL/,
    );
    expect(() => loadConfig({ SOVI_AGENT: 'claude' })).toThrow(/SOVI_AGENT: expected off or openai/);
    const on = loadConfig({
      SOVI_AGENT: 'openai',
      SOVI_LLM_URL: 'http://127.0.0.1:1/v1',
      SOVI_LLM_MODEL: 'm',
    });
    expect(on.agent.kind).toBe('openai');
  });

  it('proposes by default; the first matching rule decides', () => {
    expect(
      modeFor(defaultAgentPolicy, { eventType: 'battery_low', category: 'device', severity: 'warning' }),
    ).toBe('propose');
    const policy = loadAgentPolicy(
      file(
        JSON.stringify({
          default: 'ignore',
          rules: [
            { type: 'battery_low', severity: ['warning'], mode: 'act' },
            { category: 'device', mode: 'propose' },
          ],
          eventsPerMinute: 3,
        }),
      ),
    );
    expect(policy).toMatchObject({ eventsPerMinute: 3, maxToolCalls: 8, role: 'operator' });
    const mode = (eventType: string, category: string, severity: string) =>
      modeFor(policy, { eventType, category, severity });
    expect(mode('battery_low', 'device', 'warning')).toBe('act');
    expect(mode('battery_low', 'device', 'critical')).toBe('propose');
    expect(mode('post_failed', 'scheduler', 'error')).toBe('ignore');
  });

  it('reads YAML from a .yaml or .yml file', () => {
    const yaml = [
      'default: ignore',
      'rules:',
      '  - type: battery_low',
      '    mode: act',
      'maxToolCalls: 4',
      '',
    ].join('\n');
    for (const name of ['agent.yaml', 'agent.yml']) {
      const policy = loadAgentPolicy(file(yaml, name));
      expect(policy).toMatchObject({
        default: 'ignore',
        maxToolCalls: 4,
        rules: [{ type: 'battery_low', mode: 'act' }],
      });
    }
    expect(() => loadAgentPolicy(file('rules: [mode: fix', 'agent.yaml'))).toThrow(/cannot read .* as YAML/);
    expect(() => loadAgentPolicy(file('rules:\n  - mode: fix\n', 'agent.yml'))).toThrow(/rules\.0\.mode/);
  });

  it('names every mistake in the file', () => {
    const refused = (content: string) => {
      try {
        loadAgentPolicy(file(content));
      } catch (err) {
        expect(err).toBeInstanceOf(SoviError);
        return (err as SoviError).message;
      }
      throw new Error('accepted');
    };
    expect(refused('{"rules": [{"type": "battery_low", "mode": "fix"}]}')).toMatch(
      /SOVI_AGENT_POLICY_FILE .*rules\.0\.mode/,
    );
    expect(refused('{"role": "admin"}')).toMatch(/role/);
    expect(refused('{"eventsPerMinute": 0}')).toMatch(/eventsPerMinute/);
    expect(refused('{"rulez": []}')).toMatch(/rulez/);
    expect(refused('not json')).toMatch(/cannot read .* as JSON/);
  });
});
