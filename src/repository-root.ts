import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root (the directory holding package.json), found from this file's location so it
 * is the same whether code runs from src/ or from the compiled dist/src/, whatever the cwd.
 */
function find(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`cannot find the repository root (package.json) above ${fileURLToPath(import.meta.url)}`);
  }
}

export const REPOSITORY_ROOT = find();
