// Moving rows between two sessions without looking at them: one session's COPY … TO STDOUT streamed into
// another's COPY … FROM STDIN.
import type { Readable, Writable } from 'node:stream';

/**
 * Streams a COPY TO into a COPY FROM on another session. Unlike pipeline(), a failing writer does not stop the
 * reading: a COPY TO abandoned halfway leaves its session paused mid-protocol, unusable, so the rest of it is
 * read and dropped. A failing reader aborts the writer's COPY (CopyFail).
 */
export function relayCopy(source: Readable, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined;
    let sourceDone = false;
    let sinkDone = false;
    const settle = () => {
      if (sourceDone && sinkDone) {
        if (error === undefined) resolve();
        else reject(error);
      }
    };
    source.on('data', (chunk: Buffer) => {
      if (error !== undefined) return;
      if (!sink.write(chunk)) {
        source.pause();
        sink.once('drain', () => source.resume());
      }
    });
    source.once('end', () => {
      sourceDone = true;
      if (error === undefined) sink.end();
      settle();
    });
    source.once('error', (err: Error) => {
      error ??= err;
      sourceDone = true;
      if (!sinkDone) sink.destroy(err);
      settle();
    });
    sink.once('finish', () => {
      sinkDone = true;
      settle();
    });
    sink.once('error', (err: Error) => {
      error ??= err;
      sinkDone = true;
      source.resume();
      settle();
    });
    sink.once('close', () => {
      if (sinkDone) return;
      sinkDone = true;
      settle();
    });
  });
}
