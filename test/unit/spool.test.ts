import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import { createSpool } from '../../src/services/spool.js';

/** Sections of the access review wait in spools: memory up to a bound, then a temporary file. */
describe('spool', () => {
  const label = `spool-test-${process.pid}`;
  const files = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith(`${label}-`));

  async function readAll(spool: ReturnType<typeof createSpool>): Promise<string> {
    let text = '';
    for await (const piece of spool.read()) text += piece;
    return text;
  }

  it('gives back what was written, in order; a little stays in memory and leaves no file', async () => {
    const spool = createSpool(label);
    for (const piece of ['{"a":1}', ',', '{"b":"é"}']) await spool.write(piece);
    assert.deepEqual(await files(), []);
    assert.equal(await readAll(spool), '{"a":1},{"b":"é"}');
    await spool.discard();
  });

  it('beyond a megabyte it moves to a file of its own (multi-byte characters intact), removed by discard', async () => {
    const spool = createSpool(label);
    const pieces = Array.from({ length: 40_000 }, (_, n) => `{"n":${n},"name":"Zoë 🙂 Ødegård"},`);
    for (const piece of pieces) await spool.write(piece);
    assert.equal((await files()).length, 1, 'one temporary directory');
    assert.equal(await readAll(spool), pieces.join(''));
    await spool.discard();
    await spool.discard();
    assert.deepEqual(await files(), [], 'removed');
  });

  it('discarded before it is read (a client that went away): the file is removed', async () => {
    const spool = createSpool(label);
    for (let n = 0; n < 30_000; n += 1) await spool.write(`line ${n} ${'x'.repeat(40)}\n`);
    assert.equal((await files()).length, 1);
    await spool.discard();
    assert.deepEqual(await files(), []);
  });
});
