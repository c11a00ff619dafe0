// An OpenAI-compatible chat-completions endpoint with tool calling (POST …/chat/completions; see
// https://platform.openai.com/docs/api-reference/chat/create): the request the agent sends and the parts of
// the answer it reads. Any failure (no answer, a status other than 200, an answer without a message) is a
// ChatEndpointError in words, never the endpoint's key or the request's body.
import { chatCompletionsUrl } from '../content/script-writers.ts';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface ChatTool {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

export interface ChatSettings {
  url: string;
  model: string;
  apiKey: string | undefined;
  /** Per request. */
  timeoutMs: number;
}

export class ChatEndpointError extends Error {}

export async function chat(
  settings: ChatSettings,
  messages: ChatMessage[],
  tools: ChatTool[],
  signal: AbortSignal,
): Promise<Extract<ChatMessage, { role: 'assistant' }>> {
  let response: Response;
  try {
    response = await fetch(chatCompletionsUrl(settings.url), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: settings.model, messages, tools, tool_choice: 'auto' }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(settings.timeoutMs)]),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
    throw new ChatEndpointError(
      timedOut
        ? 'the chat endpoint did not answer in time'
        : `the chat endpoint cannot be reached (${(err as Error).message})`,
    );
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ChatEndpointError(`the chat endpoint answered ${response.status} without JSON`);
  }
  if (!response.ok) {
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
    throw new ChatEndpointError(
      `the chat endpoint answered ${response.status}${typeof message === 'string' ? `: ${message.slice(0, 300)}` : ''}`,
    );
  }
  const message = (body as { choices?: { message?: unknown }[] } | null)?.choices?.[0]?.message;
  if (
    message === null ||
    typeof message !== 'object' ||
    (message as { role?: unknown }).role !== 'assistant'
  ) {
    throw new ChatEndpointError(
      'the chat endpoint answered without an assistant message (choices[0].message)',
    );
  }
  return message as Extract<ChatMessage, { role: 'assistant' }>;
}
