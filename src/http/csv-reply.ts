// CSV answers for the dashboard's downloads (`?format=csv`): the rows a route would answer as JSON, one line
// each under a header line of the JSON field names, quoted as RFC 4180 says (a field with a comma, quote or
// line break is wrapped in quotes, its quotes doubled; lines end with CRLF).
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

export const formatParam = z
  .enum(['json', 'csv'])
  .optional()
  .describe('csv: the same rows as a text/csv download, a header line of the field names first');

/** Text a spreadsheet would run as a formula (=, +, -, @ first) is kept as text by a leading apostrophe. */
const FORMULA = /^[=+\-@\t\r]/;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows as CSV: a header of `columns`, then each row's values in that order. */
export function csvText<Row>(columns: readonly (keyof Row & string)[], rows: readonly Row[]): string {
  const lines = [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Answers the CSV as a download named `name`.csv. The reply's JSON schema is left out: Fastify serializes
 * only JSON bodies, and a string under text/csv goes out as it is.
 */
export function sendCsv<Row>(
  reply: FastifyReply,
  name: string,
  columns: readonly (keyof Row & string)[],
  rows: readonly Row[],
): FastifyReply {
  const file = name.replace(/[^\w.-]+/g, '_');
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${file}.csv"`)
    .send(csvText(columns, rows));
}
