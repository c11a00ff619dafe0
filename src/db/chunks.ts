// A statement takes at most 65,535 parameters, and one huge statement holds its locks and memory for long:
// bulk writes go in chunks. One loop for every bulk writer, with how far it got for progress bars.

export interface Chunk<Row> {
  rows: Row[];
  /** How many rows the chunks so far, this one included, hold. */
  done: number;
}

/** `rows` in consecutive chunks of at most `size`. */
export function* chunks<Row>(rows: readonly Row[], size: number): Generator<Chunk<Row>> {
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    yield { rows: chunk, done: i + chunk.length };
  }
}

/** Runs `write` on each chunk in turn and concatenates what the writes return. */
export async function writeInChunks<Row, Out>(
  rows: readonly Row[],
  size: number,
  write: (chunk: Row[]) => Promise<readonly Out[]>,
  onChunk?: (done: number) => void,
): Promise<Out[]> {
  const out: Out[] = [];
  for (const { rows: chunk, done } of chunks(rows, size)) {
    out.push(...(await write(chunk)));
    onChunk?.(done);
  }
  return out;
}
