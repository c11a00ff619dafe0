// The settings a client draws with, read-only: the thresholds below which the health monitor records a
// device's battery_low and storage_low, so the dashboard marks the same devices low as the server does.
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

import type { ApiDeps } from '../api-deps.ts';
import { op } from '../operation.ts';

const settingsSchema = z.object({
  health: z.object({
    batteryLowPercent: z.number().describe('battery_low below this level, 0–100 (SOVI_BATTERY_LOW_PERCENT)'),
    storageLowGb: z.number().describe('storage_low below this many GB free (SOVI_STORAGE_LOW_GB)'),
  }),
});

export const settingsRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, { config }) => {
  const { batteryLowPercent, storageLowGb } = config.health;

  app.get(
    '/settings',
    op('settings', {
      summary: 'The configured thresholds the dashboard draws with: low battery and low storage',
      response: { 200: settingsSchema },
    }),
    async () => ({ health: { batteryLowPercent, storageLowGb } }),
  );
};
