// What the simulators (executor, publisher) share: their options' vocabulary and seeded, reproducible chance.
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** A share of attempts, 0–1. */
export const rate = z.number().min(0).max(1);

/** The seed a simulator's outcomes follow: the same seed and inputs give the same outcome. */
export const seedOption = z.union([z.number(), z.string()]).default(1);

/** A number in [0, 1) fixed by the parts (the seed first). */
export const roll = (...parts: (string | number)[]): number =>
  createHash('sha256').update(parts.join(':')).digest().readUInt32LE(0) / 4_294_967_296;
