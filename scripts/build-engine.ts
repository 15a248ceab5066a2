// `npm run build:engine`: builds the embedded FerretDB engine ahead of time and prints its path.
import { ensureEngineBinary } from '../src/engine/binary.js';

try {
  console.log(await ensureEngineBinary({ log: (line) => console.error(line) }));
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
