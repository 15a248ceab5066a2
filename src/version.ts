import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPOSITORY_ROOT } from './repository-root.js';

/** The name and version in package.json: what `--version` prints (the Docker image ships package.json). */
function read(): { name: string; version: string } {
  const manifest = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
  return { name: String(manifest.name), version: String(manifest.version) };
}

export const PACKAGE = Object.freeze(read());
