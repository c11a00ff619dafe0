// WAL segment file names: timeline, then the segment number as two 8-hex-digit halves. sovi's clusters use
// initdb's default 16 MB segments, so there are 0x100 segments per "log" half.
const SEGMENTS_PER_LOG = 0x100;

export const isSegmentName = (name: string): boolean => /^[0-9A-F]{24}$/.test(name);

/** The segment names from `first` to `last` inclusive, on first's timeline. */
export function segmentRange(first: string, last: string): string[] {
  const tli = first.slice(0, 8);
  const number = (name: string) =>
    Number.parseInt(name.slice(8, 16), 16) * SEGMENTS_PER_LOG + Number.parseInt(name.slice(16, 24), 16);
  const names: string[] = [];
  for (let n = number(first); n <= number(last); n++) {
    const log = Math.floor(n / SEGMENTS_PER_LOG);
    const seg = n % SEGMENTS_PER_LOG;
    names.push(
      `${tli}${log.toString(16).toUpperCase().padStart(8, '0')}${seg.toString(16).toUpperCase().padStart(8, '0')}`,
    );
  }
  return names;
}
