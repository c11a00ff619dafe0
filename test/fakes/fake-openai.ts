// A local OpenAI-compatible chat-completions endpoint with tool calling, for the triage agent's tests: a
// real HTTP server on 127.0.0.1 answering POST /v1/chat/completions as the API reference describes
// (https://platform.openai.com/docs/api-reference/chat/create and the chat completion object,
// https://platform.openai.com/docs/api-reference/chat/object): it checks the request (model, messages, the
// tools as {type: "function", function: {name, description, parameters}}), and answers with a chat
// completion whose choices[0].message carries content or tool_calls (each {id, type: "function",
// function: {name, arguments}} with the arguments as a JSON string) and finish_reason "tool_calls" or
// "stop". Errors are the API's envelope {error: {message, type, code}}. What each request gets is scripted
// by the test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  messages: { role: string; content?: string | null; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string; description: string; parameters: unknown } }[];
}

export type Scripted =
  | { content: string }
  | { toolCalls: { name: string; arguments: string | Record<string, unknown> }[] }
  | { status: number; message: string }
  | { delayMs: number; then: Scripted };

export interface FakeOpenAi {
  /** The base URL, as SOVI_LLM_URL takes it: http://127.0.0.1:<port>/v1 */
  url: string;
  /** Every request body, raw, in order. */
  requests: string[];
  /** What to answer a request: by its parsed body and its number (0-based). */
  script: (request: ChatRequest, n: number) => Scripted;
  close(): Promise<void>;
}

let ids = 0;

export async function startFakeOpenAi(key = 'sk-test'): Promise<FakeOpenAi> {
  const fake = {
    requests: [] as string[],
    script: (): Scripted => ({ content: 'nothing to do' }),
  } as unknown as FakeOpenAi;
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, message: string, type = 'invalid_request_error') =>
    send(res, status, { error: { message, type, param: null, code: null } });

  const answer = async (res: http.ServerResponse, scripted: Scripted, model: string): Promise<void> => {
    if ('delayMs' in scripted) {
      await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
      if (res.destroyed) return;
      return answer(res, scripted.then, model);
    }
    if ('status' in scripted) return error(res, scripted.status, scripted.message, 'server_error');
    const toolCalls =
      'toolCalls' in scripted
        ? scripted.toolCalls.map((call) => ({
            id: `call_${++ids}`,
            type: 'function',
            function: {
              name: call.name,
              arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
            },
          }))
        : undefined;
    send(res, 200, {
      id: `chatcmpl-${++ids}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'content' in scripted ? scripted.content : null,
            ...(toolCalls ? { tool_calls: toolCalls } : {}),
            refusal: null,
          },
          logprobs: null,
          finish_reason: toolCalls ? 'tool_calls' : 'stop',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        return error(res, 404, `Unknown request URL: ${req.method} ${req.url}`);
      }
      if (req.headers.authorization !== `Bearer ${key}`) {
        return error(res, 401, 'Incorrect API key provided', 'invalid_api_key');
      }
      let body: ChatRequest;
      try {
        body = JSON.parse(raw) as ChatRequest;
      } catch {
        return error(res, 400, 'We could not parse the JSON body of your request.');
      }
      if (typeof body.model !== 'string' || !Array.isArray(body.messages) || body.messages.length === 0) {
        return error(res, 400, "'model' and 'messages' are required");
      }
      for (const tool of body.tools ?? []) {
        if (tool.type !== 'function' || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.function?.name ?? '')) {
          return error(res, 400, `Invalid tool: ${JSON.stringify(tool).slice(0, 100)}`);
        }
      }
      // Every tool message must answer a tool call of the assistant message before it.
      const asked = new Set<string>();
      for (const message of body.messages) {
        for (const call of (message.tool_calls ?? []) as { id: string }[]) asked.add(call.id);
        if (message.role === 'tool' && !asked.has(message.tool_call_id ?? '')) {
          return error(res, 400, "messages with role 'tool' must be a response to a preceding 'tool_calls'");
        }
      }
      const n = fake.requests.length;
      fake.requests.push(raw);
      void answer(res, fake.script(body, n), body.model);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** The event id the agent's first user message is about. */
export const eventIdOf = (request: ChatRequest): number | undefined => {
  const user = request.messages.find((m) => m.role === 'user');
  try {
    return (JSON.parse(user?.content ?? '') as { event?: { id?: number } }).event?.id;
  } catch {
    return undefined;
  }
};

/** How many tool results the conversation holds so far. */
export const toolResults = (request: ChatRequest): number =>
  request.messages.filter((m) => m.role === 'tool').length;

/**
 * The model's side of the agent's usual case, as the process tests script it: for a battery_low event, put
 * the device in maintenance, then resolve the event ("charging"), then say why; anything else, nothing to do.
 */
export const chargeOnBatteryLow = (request: ChatRequest): Scripted => {
  const about = JSON.parse(request.messages.find((m) => m.role === 'user')?.content ?? '{}') as {
    event?: { id: number; eventType: string; deviceId: string };
  };
  const event = about.event;
  if (event?.eventType !== 'battery_low') return { content: 'nothing to do' };
  if (toolResults(request) === 0) {
    return {
      toolCalls: [
        { name: 'set_device_maintenance', arguments: { device: event.deviceId, maintenance: true } },
      ],
    };
  }
  if (toolResults(request) === 1) {
    return { toolCalls: [{ name: 'resolve_event', arguments: { id: event.id, note: 'charging' } }] };
  }
  return { content: 'put it in maintenance to charge' };
};
