import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';

describe('configuration defaults that name files of the installation', () => {
  const home = process.cwd();
  afterEach(() => process.chdir(home));

  it('SCHEMA_EXTENSIONS_DIR defaults to the shipped directory whatever the working directory', () => {
    for (const directory of [home, '/tmp', '/']) {
      process.chdir(directory);
      assert.equal(loadConfig({}).schemaExtensionsDir, path.join(REPOSITORY_ROOT, 'schemas', 'extensions'), directory);
    }
  });

  it('a SCHEMA_EXTENSIONS_DIR given is relative to the working directory, as any path an operator types', () => {
    process.chdir('/tmp');
    assert.equal(loadConfig({ SCHEMA_EXTENSIONS_DIR: 'my-extensions' }).schemaExtensionsDir, '/tmp/my-extensions');
  });
});
