// JSON bodies, parsed only after a cheap check of how deeply they nest. JSON.parse itself copes with deep
// nesting, but everything that walks the result recursively afterwards (validation, serializing an error)
// overflows the stack on a body nested thousands of levels deep: a 500, and seconds of a blocked event loop
// for a few megabytes. No request sovi takes nests more than a few levels, so a deeper body is refused
// with a 400 before it is parsed.
import type { FastifyInstance } from 'fastify';
import { SoviError } from '../errors.ts';

/** Far deeper than any body sovi takes (a batch item's fields sit 3 levels down). */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests objects and arrays deeper than `max`: one pass over the text, skipping strings,
 * stopping at the first level too deep. Malformed text is left for JSON.parse to refuse.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Replaces Fastify's application/json parser with one that checks the depth first, then parses as before. */
export function registerJsonBodyParser(app: FastifyInstance): void {
  // Fastify's own parser keeps its refusal of __proto__ and constructor.prototype keys.
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(
        new SoviError(
          'invalid_input',
          `body: JSON nested more than ${MAX_JSON_DEPTH} levels deep; no request takes that`,
          { field: 'body' },
        ),
        undefined,
      );
      return;
    }
    void parse(request, text, done);
  });
}
