import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExtensionError, loadExtensionFiles } from '../../src/scim/extension-files.js';
import { REPOSITORY_ROOT } from '../../src/repository-root.js';

/**
 * Start-up validation of SCHEMA_EXTENSIONS_DIR: every bad file stops the server with one line per
 * problem naming the file, the attribute and the problem (src/scim/extension-files.ts).
 */

const EXAMPLE_FILE = path.join(REPOSITORY_ROOT, 'schemas', 'extensions', 'contoso-user.json');
const URN = 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:User';

type Json = Record<string, any>;

function file(attributes: unknown[], schema: Json = {}, wrapper: Json = {}): Json {
  return { resourceType: 'User', required: false, schema: { id: URN, name: 'Fabrikam', attributes, ...schema }, ...wrapper };
}

function attribute(name: string, extra: Json = {}): Json {
  return { name, type: 'string', ...extra };
}

function withFiles<T>(files: Record<string, string | Json>, run: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scim-extensions-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problemsOf(files: Record<string, string | Json>): string[] {
  return withFiles(files, (dir) => {
    try {
      loadExtensionFiles(dir);
    } catch (error) {
      assert.ok(error instanceof ExtensionError, String(error));
      assert.match(error.message, /^invalid schema extensions:\n/);
      return error.problems.map((problem) => problem.replace(`${dir}${path.sep}`, ''));
    }
    assert.fail('the directory was accepted');
  });
}

describe('Schema extension files (SCHEMA_EXTENSIONS_DIR)', () => {
  it('loads the shipped Contoso example', () => {
    const [contoso, ...others] = withFiles({ 'contoso-user.json': readFileSync(EXAMPLE_FILE, 'utf8'), 'README.md': '# not an extension' }, loadExtensionFiles);
    assert.equal(others.length, 0, 'files other than *.json are not read');
    assert.equal(contoso?.urn, 'urn:ietf:params:scim:schemas:extension:contoso:2.0:User');
    assert.equal(contoso?.resourceType, 'User');
    assert.deepEqual(contoso?.attributes.map((item) => [item.name, item.type, item.multiValued]), [
      ['badgeNumber', 'string', false],
      ['remoteWorker', 'boolean', false],
      ['certifications', 'complex', true],
    ]);
  });

  it('fills RFC 7643 §2.2 defaults and accepts a Group extension', () => {
    const [declaration] = withFiles({ 'g.json': file([attribute('costCode')], { id: 'urn:ietf:params:scim:schemas:extension:fabrikam:2.0:Group' }, { resourceType: 'Group' }) }, loadExtensionFiles);
    assert.equal(declaration?.resourceType, 'Group');
    assert.equal(declaration?.required, false);
    assert.deepEqual(declaration?.attributes[0], {
      name: 'costCode', type: 'string', multiValued: false, description: '', required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none',
    });
  });

  it('reports an empty directory as no extensions, and a missing one as a problem', () => {
    assert.deepEqual(withFiles({}, loadExtensionFiles), []);
    assert.throws(() => loadExtensionFiles(path.join(os.tmpdir(), 'no-such-extensions-dir')), /SCHEMA_EXTENSIONS_DIR: it does not exist/);
  });

  const bad: { label: string; files: Record<string, string | Json>; expected: string[] }[] = [
    { label: 'invalid JSON', files: { 'x.json': '{ "resourceType": "User", ' }, expected: ['x.json: invalid JSON: '] },
    { label: 'an unknown type', files: { 'x.json': file([attribute('badge', { type: 'text' })]) }, expected: ['x.json: attribute "badge": unknown type "text"; one of "string", "boolean"'] },
    {
      label: 'a misspelt mutability',
      files: { 'x.json': file([attribute('badge', { mutability: 'readwrite' })]) },
      expected: ['x.json: attribute "badge": bad mutability "readwrite"; one of "readWrite", "immutable"'],
    },
    {
      label: 'a readOnly attribute (nothing would set it)',
      files: { 'x.json': file([attribute('badge', { mutability: 'readOnly' })]) },
      expected: ['x.json: attribute "badge": mutability "readOnly" is not supported for extension attributes'],
    },
    { label: 'returned "never"', files: { 'x.json': file([attribute('pin', { returned: 'never' })]) }, expected: ['x.json: attribute "pin": returned "never" is not supported for extension attributes'] },
    { label: 'uniqueness "server"', files: { 'x.json': file([attribute('badge', { uniqueness: 'server' })]) }, expected: ['x.json: attribute "badge": uniqueness "server" is not supported for extension attributes'] },
    {
      label: 'a duplicate name (case-insensitive)',
      files: { 'x.json': file([attribute('badge'), attribute('Badge')]) },
      expected: ['x.json: attribute "Badge": duplicate name (also "badge"; names are case-insensitive)'],
    },
    {
      label: 'a duplicate sub-attribute name',
      files: { 'x.json': file([attribute('certs', { type: 'complex', multiValued: true, subAttributes: [attribute('name'), attribute('NAME')] })]) },
      expected: ['x.json: attribute "certs.NAME": duplicate name (also "certs.name"'],
    },
    {
      label: 'subAttributes on a non-complex attribute',
      files: { 'x.json': file([attribute('badge', { subAttributes: [attribute('x')] })]) },
      expected: ['x.json: attribute "badge": has subAttributes but is of type "string"; only complex attributes have them'],
    },
    {
      label: 'a nested complex attribute',
      files: { 'x.json': file([attribute('certs', { type: 'complex', subAttributes: [attribute('issuer', { type: 'complex', subAttributes: [attribute('name')] })] })]) },
      expected: ['x.json: attribute "certs.issuer": nested complex attribute: a sub-attribute cannot be complex (RFC 7643 §2.3.8)'],
    },
    { label: 'a complex attribute without subAttributes', files: { 'x.json': file([attribute('certs', { type: 'complex' })]) }, expected: ['x.json: attribute "certs": a complex attribute needs a non-empty "subAttributes" array'] },
    { label: 'an invalid attribute name', files: { 'x.json': file([attribute('badge.number')]) }, expected: ['x.json: attribute "badge.number": name "badge.number" is not an attribute name'] },
    { label: 'a "$" attribute name', files: { 'x.json': file([attribute('$badge')]) }, expected: ['x.json: attribute "$badge": name "$badge" is not an attribute name'] },
    { label: 'an unknown field (typo)', files: { 'x.json': file([attribute('badge', { mutablity: 'readWrite' })]) }, expected: ['x.json: attribute "badge": the definition: unknown field "mutablity"'] },
    { label: 'a non-boolean flag', files: { 'x.json': file([attribute('badge', { multiValued: 'no' })]) }, expected: ['x.json: attribute "badge": "multiValued" must be true or false, not "no"'] },
    { label: 'canonicalValues on a boolean', files: { 'x.json': file([attribute('remote', { type: 'boolean', canonicalValues: ['yes'] })]) }, expected: ['x.json: attribute "remote": "canonicalValues" only applies to text attributes, not "boolean"'] },
    { label: 'an invalid URN', files: { 'x.json': file([attribute('badge')], { id: 'urn:fabrikam:User' }) }, expected: ['x.json: schema.id: invalid URN "urn:fabrikam:User"'] },
    { label: 'a URN with a space', files: { 'x.json': file([attribute('badge')], { id: `${URN} x` }) }, expected: ['x.json: schema.id: invalid URN'] },
    {
      label: 'the core User URN',
      files: { 'x.json': file([attribute('badge')], { id: 'urn:ietf:params:scim:schemas:core:2.0:User' }) },
      expected: ['x.json: schema.id: invalid URN "urn:ietf:params:scim:schemas:core:2.0:User"'],
    },
    {
      label: 'the enterprise URN',
      files: { 'x.json': file([attribute('badge')], { id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' }) },
      expected: ['x.json: schema.id: URN "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User" clashes with the server\'s schema urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    },
    {
      label: 'a URN under the enterprise URN (a path could not tell them apart)',
      files: { 'x.json': file([attribute('badge')], { id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:more' }) },
      expected: ['x.json: schema.id: URN "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:more" clashes with the server\'s schema'],
    },
    {
      label: 'the same URN in two files (case-insensitive)',
      files: { 'a.json': file([attribute('badge')]), 'b.json': file([attribute('floor')], { id: 'urn:ietf:params:scim:schemas:extension:FABRIKAM:2.0:user' }) },
      expected: [`b.json: schema.id: URN "urn:ietf:params:scim:schemas:extension:FABRIKAM:2.0:user" duplicates "${URN}" of `],
    },
    { label: 'a wrong resourceType', files: { 'x.json': file([attribute('badge')], {}, { resourceType: 'Users' }) }, expected: ['x.json: "resourceType" must be "User" or "Group", not "Users"'] },
    { label: 'no attributes', files: { 'x.json': file([]) }, expected: ['x.json: schema.attributes must be a non-empty array of attribute definitions'] },
    {
      label: 'several problems at once',
      files: { 'a.json': file([attribute('badge', { type: 'date' }), attribute('floor', { mutability: 'sometimes' })]), 'b.json': '[]' },
      expected: ['a.json: attribute "badge": unknown type "date"', 'a.json: attribute "floor": bad mutability "sometimes"', 'b.json: must be a JSON object'],
    },
  ];
  for (const { label, files, expected } of bad) {
    it(`stops on ${label}, naming file, attribute and problem`, () => {
      const problems = problemsOf(files);
      assert.equal(problems.length, expected.length, problems.join('\n'));
      expected.forEach((start, index) => assert.ok(problems[index]?.startsWith(start), `expected "${start}…", got "${problems[index]}"`));
    });
  }
});
