// Hooks: templates, import, and the selector that learns which hook works (Thompson sampling).
import { describe, expect, it } from 'vitest';
import type { Hook } from '../../src/hooks/hook-model.ts';
import { renderHook } from '../../src/hooks/hook-model.ts';
import { chooseHook, posteriorOf, sampleBeta } from '../../src/hooks/hook-selector.ts';
import { seededRandom } from '../../src/random.ts';
import { listHooksPage } from '../../src/hooks/hooks-reads.ts';
import { addHook, importHooks, pickHook } from '../../src/hooks/hooks-service.ts';
import type { SoviError } from '../../src/errors.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();

describe('hook templates', () => {
  it('fills {topic} and {niche} and refuses placeholders it cannot fill', async () => {
    expect(
      renderHook('Why {topic} beats {niche} advice', { topic: 'index funds', niche: 'Personal Finance' }),
    ).toBe('Why index funds beats Personal Finance advice');
    await expect(
      addHook(t.db, { category: 'bold_claim', template: 'You are wrong about {subject}' }),
    ).rejects.toThrow(/template: unknown placeholder\(s\) \{subject\}; use \{topic\} and \{niche\}/);
    await expect(addHook(t.db, { category: 'Bold Claim', template: 'a fine template' })).rejects.toThrow(
      /category: expected snake_case/,
    );
    await expect(
      addHook(t.db, { category: 'x', template: 'fine {topic}', effectivenessScore: 1.5 }),
    ).rejects.toThrow(/effectiveness_score/);
  });

  it('imports a CSV all or none, reporting every bad line', async () => {
    const before = (await listHooksPage(t.db, { limit: 1000 })).hooks.length;
    const bad =
      'category,template,niche\ncuriosity_gap,Nobody says this about {topic},motivation\nBad Cat,ok template here,\nx,tiny,cooking\n';
    await expect(importHooks(t.db, bad, 'hooks.csv')).rejects.toThrow(
      /hooks\.csv: 2 problem\(s\) in 2 row\(s\); nothing was imported/,
    );
    expect((await listHooksPage(t.db, { limit: 1000 })).hooks.length).toBe(before);
    const good =
      'category,template,niche,effectiveness_score\ncuriosity_gap,Nobody says this about {topic},motivation,0.6\nbold_claim,{topic} is overrated,,\n';
    expect(await importHooks(t.db, good, 'hooks.csv')).toEqual({ imported: 2 });
    const { hooks: motivation } = await listHooksPage(t.db, { niche: 'motivation', limit: 1000 });
    expect(motivation.map((h) => [h.template, h.effectivenessScore])).toEqual([
      ['Nobody says this about {topic}', 0.6],
    ]);
  });

  it('reads on after a line that is not valid CSV, so that a bad quote hides no other bad line', async () => {
    const before = (await listHooksPage(t.db, { limit: 1000 })).hooks.length;
    const text = [
      'category,template,niche',
      'curiosity_gap,Nobody says this about {topic},motivation',
      'bold_claim,"{topic} is overrated,', // line 3: an unterminated quote
      'bold_claim,{topic} is underrated,',
      'bold_claim,{topic} again,,surplus', // line 5: an extra column
      'bold_claim,{topic} once more,',
      'Bad Cat,ok template here,', // line 7: a bad value
    ].join('\n');
    const error = (await importHooks(t.db, text, 'hooks.csv').catch((e: unknown) => e)) as SoviError;
    expect(error.code).toBe('invalid_input');
    expect(error.details.issues?.map((i) => i.line)).toEqual([3, 5, 7]);
    expect(error.message).toMatch(/line 3: not valid CSV: a quote \("\) opens a field that is never closed/);
    expect((await listHooksPage(t.db, { limit: 1000 })).hooks.length).toBe(before);
  });

  it('chooses among the niche’s hooks and the generic ones, never another niche’s', async () => {
    const finance = (await t.pool.query(`SELECT id FROM niches WHERE slug = 'personal_finance'`)).rows[0].id;
    await addHook(t.db, {
      category: 'true_crime_only',
      template: 'The case of {topic}',
      niche: 'true_crime',
    });
    const seen = new Set<string>();
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++)
      seen.add((await pickHook(t.db, { nicheId: finance, platform: 'tiktok' }, random))!.category);
    expect(seen.has('true_crime_only')).toBe(false);
    expect(seen.has('bold_claim')).toBe(true); // Generic.
  });
});

describe('the hook selector', () => {
  it('samples Beta posteriors with the right mean', () => {
    const random = seededRandom(11);
    const draws = Array.from({ length: 20_000 }, () => sampleBeta({ alpha: 3, beta: 7 }, random));
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(0.3, 2);
    expect(posteriorOf({ effectivenessScore: null, platformScores: {} }, 'tiktok')).toEqual({
      alpha: 2,
      beta: 2,
    });
    expect(
      posteriorOf(
        { effectivenessScore: null, platformScores: { tiktok: { score: 0.25, samples: 40 } } },
        'tiktok',
      ),
    ).toEqual({
      alpha: 12,
      beta: 32,
    });
  });

  it('converges to the best hook over 1,000 pieces of content, trying new hooks on the way', () => {
    const truth = [0.08, 0.12, 0.3, 0.18, 0.1]; // Hook 2 is the best.
    const best = Math.max(...truth);
    const random = seededRandom(42);
    const hooks = truth.map((_, i): Pick<Hook, 'id' | 'effectivenessScore' | 'platformScores'> => ({
      id: String(i),
      effectivenessScore: null,
      platformScores: {},
    }));
    let regret = 0;
    const regretAt: number[] = [];
    const picks: number[] = [];
    for (let n = 0; n < 1_000; n++) {
      const chosen = chooseHook(hooks, 'tiktok', random)!;
      const i = Number(chosen.id);
      picks.push(i);
      const success = random() < truth[i]!;
      // What the feedback loop does with a post's outcome: the hook's platform score over its samples.
      const s = chosen.platformScores.tiktok ?? { score: 0, samples: 0 };
      chosen.platformScores.tiktok = {
        score: (s.score * s.samples + (success ? 1 : 0)) / (s.samples + 1),
        samples: s.samples + 1,
      };
      regret += best - truth[i]!;
      regretAt.push(regret);
    }
    const lastShare = picks.slice(-300).filter((i) => i === 2).length / 300;
    const firstHalf = regretAt[499]!;
    const secondHalf = regret - firstHalf;
    console.log(
      `hook selector: 1,000 picks, cumulative regret ${regret.toFixed(1)} (first 500: ${firstHalf.toFixed(1)}, last 500: ${secondHalf.toFixed(1)}); ` +
        `best hook chosen ${Math.round(lastShare * 100)}% of the last 300; every hook tried: ${truth.every((_, i) => picks.includes(i))}`,
    );
    expect(truth.every((_, i) => picks.includes(i))).toBe(true); // Exploration: each hook got tried.
    expect(lastShare).toBeGreaterThan(0.8);
    expect(secondHalf).toBeLessThan(firstHalf / 2); // Regret grows sublinearly.
    expect(regret).toBeLessThan(0.22 * 1_000 * 0.25); // Far below picking at random (mean gap 0.144 per pick).
  });

  it('gives a new hook a chance next to a proven one, and the proven one most picks', () => {
    const random = seededRandom(7);
    type Candidate = Pick<Hook, 'effectivenessScore' | 'platformScores'> & { id: string };
    const proven: Candidate = {
      id: 'proven',
      effectivenessScore: null,
      platformScores: { tiktok: { score: 0.4, samples: 200 } },
    };
    const weak: Candidate = {
      id: 'weak',
      effectivenessScore: null,
      platformScores: { tiktok: { score: 0.1, samples: 200 } },
    };
    const fresh: Candidate = { id: 'fresh', effectivenessScore: null, platformScores: {} };
    const wins: Record<string, number> = { proven: 0, weak: 0, fresh: 0 };
    for (let i = 0; i < 1_000; i++) wins[chooseHook([proven, weak, fresh], 'tiktok', random)!.id]!++;
    expect(wins.fresh).toBeGreaterThan(100); // Tried, as an average hook of unknown worth.
    expect(wins.proven).toBeGreaterThan(500); // Most picks.
    expect(wins.weak).toBeLessThan(20);
  });
});
