// The security headers of every answer (helmet's, with sovi's two changes below), and HSTS on the requests
// that came over HTTPS. helmet's middleware is built once: @fastify/helmet builds it again on every request
// (every directive parsed and every header value computed per request, in two hooks, one of them async),
// which cost more than some of the dashboard's reads. The headers are the same.
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/** helmet's default policy, for the requests that came over HTTPS (directly or through a trusted proxy). */
const HSTS = 'max-age=31536000; includeSubDomains';

export function registerSecurityHeaders(app: FastifyInstance): void {
  const setHeaders = helmet({
    // sovi serves plain HTTP by default (a TLS proxy may sit in front): no upgrade of subresources.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    // HSTS means nothing over plain HTTP (RFC 6797 §7.2: a browser ignores it there) and would wrongly say
    // that this address serves HTTPS: sent below only on requests that came over HTTPS.
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', (request, reply, done) => {
    // helmet sets the headers on the raw response, which Fastify sends with its own; it never fails.
    setHeaders(request.raw, reply.raw, () => {});
    if (request.protocol === 'https') void reply.header('strict-transport-security', HSTS);
    done();
  });
}
