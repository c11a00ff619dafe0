// Real local peers for the notification tests: an SMTP server (smtp-server) on 127.0.0.1 that requires
// STARTTLS and AUTH and keeps each mail it receives, and an HTTP receiver that records each POST and can be
// told, per path, to answer 500 or to hang.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const fixtures = path.join(import.meta.dirname, 'fixtures');

export interface ReceivedMail {
  from: string;
  to: string[];
  /** Header names lower-cased; folded lines joined. */
  headers: Record<string, string>;
  body: string;
  /** Whether the session had switched to TLS (STARTTLS) before the mail. */
  secure: boolean;
  user: string | undefined;
  at: number;
}

/** A text body as sent: quoted-printable (long lines) or base64 undone. */
function decodeBody(body: string, encoding: string | undefined): string {
  if (encoding?.toLowerCase() === 'base64')
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding?.toLowerCase() !== 'quoted-printable') return body;
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

export interface SmtpPeer {
  port: number;
  mails: ReceivedMail[];
  /** Failed AUTH attempts. */
  refusedLogins: number;
  close(): Promise<void>;
}

export async function startSmtpPeer(login: { user: string; password: string }): Promise<SmtpPeer> {
  const mails: ReceivedMail[] = [];
  const peer = { mails, refusedLogins: 0 } as SmtpPeer;
  const server = new SMTPServer({
    secure: false,
    key: fs.readFileSync(path.join(fixtures, 'smtp-key.pem')),
    cert: fs.readFileSync(path.join(fixtures, 'smtp-cert.pem')),
    // AUTH only after STARTTLS (smtp-server's default without allowInsecureAuth), and required.
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === login.user && auth.password === login.password) {
        callback(null, { user: auth.username });
        return;
      }
      peer.refusedLogins++;
      callback(new Error('535 authentication failed'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const split = raw.indexOf('\r\n\r\n');
        const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
        const headers: Record<string, string> = {};
        for (const line of head.split('\r\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
        }
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          headers,
          body: decodeBody(raw.slice(split + 4), headers['content-transfer-encoding']),
          secure: session.secure,
          user: session.user as string | undefined,
          at: Date.now(),
        });
        callback(null, 'Message queued as test-1');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer.port = (server.server.address() as AddressInfo).port;
  peer.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return peer;
}

export interface ReceivedPost {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Behaviour = 'ok' | 'fail' | 'hang';

export interface HttpPeer {
  url: string;
  posts: ReceivedPost[];
  /** How a path answers from now on (default ok); `failTimes` answers 500 that many times, then ok. */
  set(pathName: string, behaviour: Behaviour | { failTimes: number }): void;
  on(listener: (post: ReceivedPost) => void): void;
  close(): Promise<void>;
}

export async function startHttpPeer(): Promise<HttpPeer> {
  const posts: ReceivedPost[] = [];
  const behaviours = new Map<string, Behaviour | { failTimes: number }>();
  const listeners: ((post: ReceivedPost) => void)[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const post = {
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      posts.push(post);
      for (const l of listeners) l(post);
      const how = behaviours.get(post.path) ?? 'ok';
      if (how === 'hang') {
        hanging.add(res);
        return;
      }
      if (typeof how === 'object' && how.failTimes > 0) {
        behaviours.set(post.path, { failTimes: how.failTimes - 1 });
        res.writeHead(500).end('not now');
        return;
      }
      res
        .writeHead(how === 'fail' ? 500 : 200, { 'content-type': 'text/plain' })
        .end(how === 'fail' ? 'down' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    set: (p, b) => behaviours.set(p, b),
    on: (l) => listeners.push(l),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
