// Media files appear whole or not at all: each tool writes a hidden temporary name in the destination's
// folder, renamed into place only once the tool succeeded, so a crash, a failure or an abort never leaves a
// half-written video where the caller expects a finished one.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export async function writeAtomically<T>(
  outFile: string,
  write: (tempFile: string) => Promise<T>,
): Promise<T> {
  const dir = path.dirname(outFile);
  await fs.mkdir(dir, { recursive: true });
  // The extension stays last, so tools that pick a format from it still can.
  const ext = path.extname(outFile);
  const temp = path.join(
    dir,
    `.${path.basename(outFile, ext)}.${randomBytes(4).toString('hex')}.partial${ext}`,
  );
  try {
    const result = await write(temp);
    await fs.rename(temp, outFile);
    return result;
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}
