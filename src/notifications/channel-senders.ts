// The three ways a message leaves sovi: a signed JSON POST (webhook), a Slack incoming webhook, an email over
// SMTP. Each returns what the peer answered (an HTTP status code, an SMTP reply) for the delivery log. What
// they report never carries the channel's secrets: a peer's error text is scrubbed of the URL and password.
import { createHmac } from 'node:crypto';
import type { EmailSettings } from './notification-model.ts';

/** A channel with its secrets opened: lives only for the length of one send. */
export type ChannelTarget =
  | { kind: 'webhook'; name: string; url: string; signingKey: string }
  | { kind: 'slack'; name: string; url: string }
  | { kind: 'email'; name: string; email: EmailSettings; password: string | null };

export interface OutgoingMessage {
  deliveryId: number;
  kind: string;
  subject: string;
  text: string;
  /** Markdown lines for Slack's section blocks. */
  lines: string[];
  /** The structured payload a webhook receives beside the text. */
  data: Record<string, unknown>;
}

export interface SendResult {
  ok: boolean;
  /** "200", "500", "250 2.0.0 Ok: queued", "timeout after 10000 ms"… */
  result: string;
  latencyMs: number;
}

export const SIGNATURE_HEADER = 'x-sovi-signature';
export const TIMESTAMP_HEADER = 'x-sovi-timestamp';

/** `sha256=<hex>` over `${timestamp}.${body}`: what a receiver recomputes with the secret it was shown once. */
export function signBody(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

function scrub(text: string, secrets: (string | null | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[secret]');
  return out.slice(0, 300);
}

async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  secrets: string[],
): Promise<SendResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'sovi-notifications', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    return {
      ok: response.status >= 200 && response.status < 300,
      result: String(response.status),
      latencyMs: latency(),
    };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const what =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `timeout after ${timeoutMs} ms`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, result: scrub(what, secrets), latencyMs: latency() };
  }
}

function slackBody(message: OutgoingMessage): string {
  return JSON.stringify({
    text: message.text,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: message.subject.slice(0, 150) } },
      ...message.lines
        .slice(0, 40)
        .map((line) => ({ type: 'section', text: { type: 'mrkdwn', text: line.slice(0, 3000) } })),
    ],
  });
}

async function sendEmail(
  target: Extract<ChannelTarget, { kind: 'email' }>,
  message: OutgoingMessage,
  timeoutMs: number,
): Promise<SendResult> {
  const { email, password } = target;
  const started = performance.now();
  // Loaded with the first email: a host whose channels are webhooks never holds the SMTP client.
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({
    host: email.host,
    port: email.port,
    secure: email.security === 'tls',
    requireTLS: email.security === 'starttls',
    ignoreTLS: email.security === 'none',
    auth: email.user ? { user: email.user, pass: password ?? '' } : undefined,
    tls: { rejectUnauthorized: email.tlsVerify },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    const info = await transport.sendMail({
      from: email.from,
      to: email.to,
      subject: message.subject,
      text: message.text,
      headers: { 'X-Sovi-Delivery': String(message.deliveryId), 'X-Sovi-Kind': message.kind },
    });
    return {
      ok: true,
      result: scrub(info.response, [password]),
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (err) {
    const e = err as Error & { response?: string; code?: string };
    return {
      ok: false,
      result: scrub(e.response ?? e.code ?? e.message, [password]),
      latencyMs: Math.round(performance.now() - started),
    };
  } finally {
    transport.close();
  }
}

export async function sendMessage(
  target: ChannelTarget,
  message: OutgoingMessage,
  options: { timeoutMs: number },
): Promise<SendResult> {
  switch (target.kind) {
    case 'webhook': {
      const body = JSON.stringify({
        delivery: message.deliveryId,
        kind: message.kind,
        channel: target.name,
        subject: message.subject,
        text: message.text,
        ...message.data,
      });
      const timestamp = String(Math.floor(Date.now() / 1000));
      return post(
        target.url,
        body,
        { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signBody(target.signingKey, timestamp, body) },
        options.timeoutMs,
        [target.url, target.signingKey],
      );
    }
    case 'slack':
      return post(target.url, slackBody(message), {}, options.timeoutMs, [target.url]);
    case 'email':
      return sendEmail(target, message, options.timeoutMs);
  }
}
