// espeak-ng as a command, from the espeak-ng npm package (espeak-ng compiled to WebAssembly, its voice data
// embedded). tools.ts runs it in a child Node process, like the native binary, so a long narration neither
// blocks sovi's event loop nor outlives an abort:
//
//   node espeak-wasm.ts <path of the package's espeak-ng.js> [espeak-ng arguments…]
//
// The WebAssembly program sees only its own in-memory file system, so `-f <text file>` is copied in before it
// runs and `-w <wav file>` is copied out after it.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

interface EspeakModule {
  FS: { writeFile(path: string, data: string | Uint8Array): void; readFile(path: string): Uint8Array };
}

type EspeakFactory = (options: {
  arguments: string[];
  print: (line: string) => void;
  printErr: (line: string) => void;
  onExit: (status: number) => void;
  preRun: ((module: EspeakModule) => void)[];
}) => Promise<EspeakModule>;

const [entry, ...given] = process.argv.slice(2);
if (entry === undefined) {
  process.stderr.write('usage: espeak-wasm.ts <espeak-ng.js> [espeak-ng arguments…]\n');
  process.exit(2);
}

const INPUT = '/sovi-input.txt';
const OUTPUT = '/sovi-output.wav';
let textFile: string | undefined;
let wavFile: string | undefined;
const args: string[] = [];
for (const [i, arg] of given.entries()) {
  if (given[i - 1] === '-f') {
    textFile = arg;
    args.push(INPUT);
  } else if (given[i - 1] === '-w') {
    wavFile = arg;
    args.push(OUTPUT);
  } else {
    args.push(arg);
  }
}

let status = 0;
const { default: createEspeak } = (await import(pathToFileURL(entry).href)) as { default: EspeakFactory };
const espeak = await createEspeak({
  arguments: args,
  print: (line) => process.stdout.write(`${line}\n`),
  // Emscripten notes how main returned ("program exited (with status: 1), but keepRuntimeAlive()…") instead
  // of calling onExit while the runtime stays up: that note carries espeak-ng's exit status.
  printErr: (line) => {
    const exited = /^program exited \(with status: (\d+)\)/.exec(line);
    if (exited) status = Number(exited[1]);
    else process.stderr.write(`${line}\n`);
  },
  onExit: (code) => (status = code),
  preRun: [
    (module) => {
      if (textFile !== undefined) module.FS.writeFile(INPUT, fs.readFileSync(textFile));
    },
  ],
});
if (status === 0 && wavFile !== undefined) fs.writeFileSync(wavFile, espeak.FS.readFile(OUTPUT));
process.exit(status);
