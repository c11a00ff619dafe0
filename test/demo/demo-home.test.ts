// @no-database
// The demo keeps its data apart from the real install's: ./.sovi-demo unless SOVI_HOME is set.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { startDemoFleet } from '../../src/demo/demo-fleet.ts';

describe('the demo home', () => {
  it('is ./.sovi-demo by default, never the ./.sovi that `sovi up` uses', async () => {
    const config = loadConfig({}, '/srv/app');
    expect(config.home).toBe('/srv/app/.sovi');
    expect(config.demoHome).toBe('/srv/app/.sovi-demo');
    const fleet = await startDemoFleet(config);
    try {
      expect(fleet.config.home).toBe('/srv/app/.sovi-demo');
      expect(fleet.config.content.mediaDir).toBe(path.join('/srv/app/.sovi-demo', 'media'));
      // Its renders go to its own media store too.
      expect(fleet.config.media.store).toEqual({
        kind: 'file',
        dir: path.join('/srv/app/.sovi-demo', 'media'),
      });
    } finally {
      await fleet.stop();
    }
  });

  it('is SOVI_HOME when that is set explicitly (the guard then protects what is there)', () => {
    expect(loadConfig({ SOVI_HOME: 'elsewhere' }, '/srv/app').demoHome).toBe('/srv/app/elsewhere');
    // An empty variable counts as unset, as everywhere else.
    expect(loadConfig({ SOVI_HOME: '' }, '/srv/app').demoHome).toBe('/srv/app/.sovi-demo');
  });
});
