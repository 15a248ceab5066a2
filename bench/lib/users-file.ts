import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { progress } from './progress.js';
import { userBody } from './users.js';

/** Writes users `from`..`from+total-1` to `file`, honouring back-pressure; returns bytes written. */
export async function writeUsers(file: string, from: number, total: number): Promise<number> {
  const out = createWriteStream(file);
  const bar = progress('generating users', total);
  let bytes = 0;
  for (let i = 0; i < total; i += 1) {
    const line = `${JSON.stringify(userBody(from + i))}\n`;
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
    if (i % 1_000 === 999) bar.tick(i + 1);
  }
  bar.tick(total);
  bar.end();
  out.end();
  await once(out, 'finish');
  return bytes;
}
