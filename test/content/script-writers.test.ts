// The OpenAI-compatible script writer against a real HTTP server on 127.0.0.1: what it sends, what it
// accepts, and the pipeline's fallback to the template writer (with an event) when the endpoint fails.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContent, getContent } from '../../src/content/content-service.ts';
import { defaultContentPolicy } from '../../src/content/content-policy.ts';
import { runStage } from '../../src/content/pipeline.ts';
import { chatCompletionsUrl, chatWriter, scriptWriterFor } from '../../src/content/script-writers.ts';
import { pipelineDeps } from '../helpers/content.ts';
import { useTestDatabase } from '../helpers/database.ts';

const t = useTestDatabase();
const apiKey = 'sk-test-never-logged-1234';

interface Seen {
  url: string;
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[] };
}

/** What the stub endpoint answers next: a status and a body, or a delay longer than the writer waits. */
let answer: { status: number; body: unknown } | 'hang' = { status: 200, body: {} };
const seen: Seen[] = [];
let server: http.Server;
let baseUrl: string;

const script = {
  title: 'Compound interest in 30 seconds',
  hook: 'The model hook',
  beats: [
    { onScreenText: 'Start', narration: 'Money grows on money.' },
    { onScreenText: 'Time', narration: 'Time does the heavy lifting.' },
    { onScreenText: 'Act', narration: 'Start with ten dollars a week.' },
  ],
  cta: 'Follow for part two.',
  hashtags: ['#Money', 'investing'],
};
const completion = (content: string) => ({ choices: [{ message: { role: 'assistant', content } }] });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      seen.push({
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(raw) as Seen['body'],
      });
      if (answer === 'hang') return; // never answers; the writer's timeout ends the request
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  seen.length = 0;
  await t.pool.query('DELETE FROM distributions; DELETE FROM content; DELETE FROM system_events');
});

const settings = (overrides: Partial<{ url: string; timeoutMs: number }> = {}) => ({
  kind: 'openai' as const,
  url: baseUrl,
  model: 'test-model',
  apiKey,
  timeoutMs: 2_000,
  ...overrides,
});

const request = {
  topic: 'compound interest',
  niche: { slug: 'personal_finance', name: 'Personal Finance' },
  format: 'faceless',
  hook: { line: 'Nobody tells you this about compound interest.', category: 'curiosity_gap' },
};

describe('the OpenAI-compatible script writer', () => {
  it('posts a chat completion with the model, the topic, the hook and the bearer key', async () => {
    answer = { status: 200, body: completion(JSON.stringify(script)) };
    const written = await chatWriter(settings()).write(request);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/v1/chat/completions');
    expect(seen[0]!.authorization).toBe(`Bearer ${apiKey}`);
    expect(seen[0]!.body.model).toBe('test-model');
    const prompt = seen[0]!.body.messages.find((m) => m.role === 'user')!.content;
    expect(prompt).toContain('compound interest');
    expect(prompt).toContain('Nobody tells you this about compound interest.');
    // The chosen hook wins over the model's own, so the hook's statistics describe what was said.
    expect(written).toMatchObject({
      hook: request.hook.line,
      title: script.title,
      cta: script.cta,
      hashtags: ['money', 'investing'],
      writer: 'openai',
    });
    expect(written.narration).toBe(
      [request.hook.line, ...script.beats.map((b) => b.narration), script.cta].join(' '),
    );
  });

  it('accepts a script wrapped in a markdown code fence', async () => {
    answer = { status: 200, body: completion('```json\n' + JSON.stringify(script) + '\n```') };
    const written = await chatWriter(settings()).write({ ...request, hook: null });
    expect(written.hook).toBe('The model hook');
  });

  it.each([
    ['an HTTP error', { status: 503, body: { error: 'overloaded' } }, /HTTP 503/],
    ['no message', { status: 200, body: { choices: [] } }, /without a message/],
    ['prose instead of JSON', { status: 200, body: completion('Sure! Here is a script.') }, /not usable/],
    [
      'JSON without beats',
      { status: 200, body: completion(JSON.stringify({ ...script, beats: [] })) },
      /not usable/,
    ],
  ])('refuses %s', async (_name, reply, message) => {
    answer = reply;
    await expect(chatWriter(settings()).write(request)).rejects.toThrow(message);
  });

  it('gives up after its timeout', async () => {
    answer = 'hang';
    const started = Date.now();
    await expect(chatWriter(settings({ timeoutMs: 200 })).write(request)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('normalises the endpoint URL', () => {
    expect(chatCompletionsUrl('http://h/v1/')).toBe('http://h/v1/chat/completions');
    expect(chatCompletionsUrl('http://h/v1/chat/completions')).toBe('http://h/v1/chat/completions');
  });
});

describe('the pipeline with the chat writer', () => {
  it('uses the endpoint when it answers', async () => {
    answer = { status: 200, body: completion(JSON.stringify(script)) };
    const c = await createContent(t.db, defaultContentPolicy, {
      topic: 'compound interest',
      niche: 'personal_finance',
    });
    const deps = pipelineDeps(t.db, { writers: scriptWriterFor(settings()) });
    expect(
      await runStage(deps, { contentId: c.id, stage: 'scripting' }, new AbortController().signal),
    ).toMatchObject({
      status: 'advanced',
    });
    expect((await getContent(t.db, c.id)).script).toMatchObject({ writer: 'openai', title: script.title });
  });

  it('falls back to the template writer and records why, without the key', async () => {
    answer = { status: 500, body: { error: 'boom' } };
    const c = await createContent(t.db, defaultContentPolicy, {
      topic: 'compound interest',
      niche: 'personal_finance',
    });
    const deps = pipelineDeps(t.db, { writers: scriptWriterFor(settings()) });
    expect(
      await runStage(deps, { contentId: c.id, stage: 'scripting' }, new AbortController().signal),
    ).toMatchObject({
      status: 'advanced',
    });
    const done = await getContent(t.db, c.id);
    expect(done.script).toMatchObject({ writer: 'template' });
    expect(done.status).toBe('generating');
    const { rows } = await t.pool.query(
      `SELECT event_type, severity, message, context::text AS context FROM system_events WHERE event_type = 'script_writer_fallback'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].message).toMatch(/openai script writer failed .*HTTP 500.*used the template writer/);
    expect(rows[0].context).toContain(c.id);
    expect(JSON.stringify(rows)).not.toContain(apiKey);
  });
});
