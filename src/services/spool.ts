import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Text written now and read back once, later, in order, with memory bounded whatever its size: kept
 * in memory up to SPILL_CHARACTERS, then in a temporary file (under TMPDIR) removed by `discard`.
 */
export interface Spool {
  write(text: string): Promise<void>;
  /** Everything written, in order; call once, after the last write. */
  read(): AsyncGenerator<string>;
  /** Frees the memory and removes the file; safe to call more than once, and after a failure. */
  discard(): Promise<void>;
}

/** Characters held in memory before the spool moves to a file. */
const SPILL_CHARACTERS = 1024 * 1024;

export function createSpool(label: string): Spool {
  let held: string[] = [];
  let heldLength = 0;
  let directory: string | undefined;
  let file: WriteStream | undefined;
  /** A write failure (e.g. a full disk) is thrown by the next write or read, not left unhandled. */
  let failure: unknown;

  async function spill(): Promise<WriteStream> {
    directory = await mkdtemp(path.join(os.tmpdir(), `${label}-`));
    const stream = createWriteStream(path.join(directory, 'spool'), { encoding: 'utf8', mode: 0o600 });
    stream.on('error', (error) => {
      failure ??= error;
    });
    await once(stream, 'open');
    return stream;
  }

  return {
    async write(text) {
      if (failure) throw failure;
      if (!file) {
        held.push(text);
        heldLength += text.length;
        if (heldLength < SPILL_CHARACTERS) return;
        file = await spill();
        text = held.join('');
        held = [];
      }
      if (!file.write(text)) await once(file, 'drain');
    },
    async *read() {
      if (!file) {
        yield* held;
        return;
      }
      if (failure) throw failure;
      file.end();
      await once(file, 'finish');
      yield* createReadStream(file.path, { encoding: 'utf8', highWaterMark: 64 * 1024 }) as AsyncIterable<string>;
    },
    async discard() {
      held = [];
      file?.destroy();
      if (directory) await rm(directory, { recursive: true, force: true });
    },
  };
}
