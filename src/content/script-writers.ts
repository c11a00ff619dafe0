// Script writers: the first stage's plug-in contract, the offline template writer, and a writer for any
// OpenAI-compatible chat endpoint that falls back to the template writer when the endpoint fails.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Script } from './content-model.ts';
import { cleanHashtags, topicHashtags } from './post-text.ts';

export interface ScriptRequest {
  topic: string;
  niche: { slug: string; name: string } | null;
  format: string;
  /** The chosen hook's rendered opening line and its category. */
  hook: { line: string; category: string } | null;
  signal?: AbortSignal;
}

export interface ScriptWriter {
  readonly name: string;
  write(request: ScriptRequest): Promise<Script>;
}

/** A writer that could not write, and what the pipeline did instead (recorded as an event). */
export interface WriterFallback {
  writer: string;
  reason: string;
}

const pick = <T>(items: readonly T[], seed: string, salt: string): T => {
  const n = createHash('sha256').update(`${seed}:${salt}`).digest().readUInt32LE(0);
  return items[n % items.length] as T;
};

const capitalise = (s: string) => (s.length === 0 ? s : s[0]!.toUpperCase() + s.slice(1));

const nicheTags: Record<string, string[]> = {
  personal_finance: ['money', 'personalfinance', 'budgeting'],
  ai_storytelling: ['aistory', 'storytime', 'ai'],
  tech_ai_tools: ['aitools', 'tech', 'productivity'],
  motivation: ['motivation', 'mindset', 'discipline'],
  true_crime: ['truecrime', 'mystery', 'unsolved'],
};

/** Builds a script from templates: no network, deterministic for a topic and hook. */
export function templateWriter(): ScriptWriter {
  return {
    name: 'template',
    write: async (request) => {
      const topic = request.topic.trim();
      const seed = `${topic}|${request.hook?.line ?? ''}|${request.format}`;
      const hook =
        request.hook?.line ??
        pick(
          [`Here is what nobody tells you about ${topic}.`, `Stop scrolling: ${topic}, explained.`],
          seed,
          'hook',
        );
      const beats = [
        {
          onScreenText: pick(['The setup', 'Why it matters', 'The short version'], seed, 'b1'),
          narration: pick(
            [
              `Most people get ${topic} wrong, and it costs them more than they think.`,
              `${capitalise(topic)} sounds simple, but one detail changes everything.`,
            ],
            seed,
            'n1',
          ),
        },
        {
          onScreenText: pick(['The key idea', 'What actually works', 'The turning point'], seed, 'b2'),
          narration: pick(
            [
              `The trick is to start small and stay consistent, even when nobody is watching.`,
              `What works is boring: a clear plan, repeated every day, until it becomes automatic.`,
            ],
            seed,
            'n2',
          ),
        },
        {
          onScreenText: pick(['Try this today', 'Your next step', 'Do this now'], seed, 'b3'),
          narration: `Pick one thing about ${topic} you can change today, and do it before tonight.`,
        },
      ];
      const cta = pick(
        ['Follow for part two.', 'Save this and share it with a friend.', 'Follow for more like this.'],
        seed,
        'cta',
      );
      const hashtags = [
        ...(request.niche ? (nicheTags[request.niche.slug] ?? [request.niche.slug.replace(/_/g, '')]) : []),
        ...topicHashtags(topic, 2),
        'fyp',
      ];
      return {
        title: `${capitalise(topic)}: ${pick(['what nobody tells you', 'the short guide', 'in 30 seconds'], seed, 'title')}`,
        hook,
        beats,
        cta,
        narration: [hook, ...beats.map((b) => b.narration), cta].join(' '),
        hashtags: cleanHashtags(hashtags),
        writer: 'template',
      };
    },
  };
}

const llmScript = z.object({
  title: z.string().min(1).max(200),
  hook: z.string().min(1).max(300),
  beats: z
    .array(z.object({ onScreenText: z.string().min(1).max(80), narration: z.string().min(1).max(600) }))
    .min(1)
    .max(8),
  cta: z.string().min(1).max(200),
  hashtags: z
    .array(z.string().regex(/^#?[A-Za-z0-9_]{1,40}$/))
    .max(10)
    .default([]),
});

export function chatCompletionsUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return trimmed.endsWith('/chat/completions') ? trimmed : `${trimmed}/chat/completions`;
}

/**
 * Asks an OpenAI-compatible chat endpoint for the script as JSON. Throws when the endpoint fails or answers
 * something unusable; the pipeline then falls back to the template writer.
 */
export function chatWriter(settings: Config['content']['scriptWriter']): ScriptWriter {
  const { url, model, apiKey, timeoutMs } = settings;
  return {
    name: 'openai',
    write: async (request) => {
      if (!url || !model)
        throw new Error('SOVI_LLM_URL and SOVI_LLM_MODEL must both be set for the openai script writer');
      const signal = AbortSignal.any([
        AbortSignal.timeout(timeoutMs),
        ...(request.signal ? [request.signal] : []),
      ]);
      const prompt =
        `Write a ${request.format.replace(/_/g, ' ')} short vertical video script about "${request.topic}"` +
        (request.niche ? ` for a ${request.niche.name} channel` : '') +
        (request.hook ? `, opening with exactly this hook: "${request.hook.line}"` : '') +
        '. Answer with JSON only: {"title": string, "hook": string, "beats": [{"onScreenText": string, "narration": string}], ' +
        '"cta": string, "hashtags": [string]}. 3 to 5 beats, about 30 seconds of narration in total.';
      const response = await fetch(chatCompletionsUrl(url), {
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify({
          model,
          messages: [
            {
              role: 'system',
              content:
                'You write short-form video scripts. You answer with one JSON object and nothing else.',
            },
            { role: 'user', content: prompt },
          ],
          temperature: 0.7,
          response_format: { type: 'json_object' },
        }),
      });
      if (!response.ok) throw new Error(`the endpoint answered HTTP ${response.status}`);
      const body = (await response.json()) as { choices?: { message?: { content?: string } }[] };
      const content = body.choices?.[0]?.message?.content;
      if (!content) throw new Error('the endpoint answered without a message');
      let parsed: z.infer<typeof llmScript>;
      try {
        parsed = llmScript.parse(JSON.parse(content.replace(/^```(?:json)?\s*|\s*```$/g, '')));
      } catch (err) {
        throw new Error(`the endpoint's script is not usable: ${(err as Error).message.slice(0, 200)}`, {
          cause: err,
        });
      }
      const hook = request.hook?.line ?? parsed.hook;
      return {
        title: parsed.title,
        hook,
        beats: parsed.beats,
        cta: parsed.cta,
        narration: [hook, ...parsed.beats.map((b) => b.narration), parsed.cta].join(' '),
        hashtags: cleanHashtags(parsed.hashtags),
        writer: 'openai',
      };
    },
  };
}

/** The configured writer, with the template writer behind it when the configured one is the chat endpoint. */
export function scriptWriterFor(settings: Config['content']['scriptWriter']): {
  primary: ScriptWriter;
  fallback: ScriptWriter | null;
} {
  return settings.kind === 'openai'
    ? { primary: chatWriter(settings), fallback: templateWriter() }
    : { primary: templateWriter(), fallback: null };
}
