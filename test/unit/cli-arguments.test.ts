import { strict as assert } from 'node:assert';
import { commandHelp, parseCommandLine, readCommandLine, UsageError, type CommandSpec, type Program } from '../../src/cli/run.js';

const COPY: CommandSpec = {
  synopsis: '<source> [options]',
  summary: 'Copies a thing.',
  positionals: { name: 'the source', min: 1, max: 1 },
  options: {
    name: { type: 'string', value: '<name>', description: 'its new name' },
    batch: { type: 'string', value: '<n>', default: '200', description: 'how many at once' },
    force: { type: 'boolean', short: 'f', description: 'overwrite' },
  },
};

const TOOL: Program = { name: 'tool', invocation: 'npm run tool --', direct: 'node tool.js', commands: { copy: COPY, list: { synopsis: '', summary: 'Lists.', options: {} } } };

const usageError = (args: string[]) => {
  try {
    parseCommandLine(COPY, args);
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    return error.message;
  }
  return assert.fail(`${args.join(' ')} was accepted`);
};

describe('command lines (src/cli/run.ts)', () => {
  it('reads --name value, --name=value, short flags, defaults and positionals', () => {
    const args = parseCommandLine(COPY, ['src', '--name', 'a', '-f']);
    assert.deepEqual([args.positionals, args.string('name'), args.flag('force'), args.integer('batch', 1, 1000)], [['src'], 'a', true, 200]);
    const inline = parseCommandLine(COPY, ['--name=-dash', 'src', '--batch=5']);
    assert.deepEqual([inline.string('name'), inline.integer('batch', 1, 1000), inline.flag('force')], ['-dash', 5, false]);
    assert.deepEqual(parseCommandLine(COPY, ['--', '--help']).positionals, ['--help'], 'after --, anything is a positional');
  });

  it('names each mistake in a usage error', () => {
    const cases: [string[], string][] = [
      [[], 'missing the source'],
      [['a', 'b'], 'unexpected argument "b" (expected only the source)'],
      [['a', '--bogus'], 'unknown option "--bogus"'],
      [['a', '-x'], 'unknown option "-x"'],
      [['a', '--name'], '--name needs a value (<name>)'],
      [['a', '--name', '--force'], '--name needs a value (<name>)'],
      [['a', '--name='], '--name needs a value (<name>)'],
      [['a', '--force=yes'], '--force takes no value'],
      [['a', '--name', 'x', '--name', 'y'], '--name is given twice'],
    ];
    for (const [args, message] of cases) assert.equal(usageError(args), message, args.join(' '));
    assert.throws(() => parseCommandLine(COPY, ['a', '--batch', '0']).integer('batch', 1, 1000), { message: '--batch must be a whole number from 1 to 1000, not "0"' });
    assert.throws(() => parseCommandLine(COPY, ['a', '--batch', '1e3']).integer('batch', 1, 1000), UsageError);
    assert.throws(() => parseCommandLine(COPY, ['a']).required('name'), { message: '--name is required' });
  });

  it('finds the sub-command, its help, and --help anywhere before --', () => {
    const run = readCommandLine(TOOL, ['copy', 'src', '-f']);
    assert.equal(run.kind === 'run' && run.sub, 'copy');
    for (const args of [['--help'], ['-h'], ['copy', '--help'], ['copy', '--name', '--help'], ['copy', '--bogus', '-h']]) assert.equal(readCommandLine(TOOL, args).kind, 'help', args.join(' '));
    assert.equal(readCommandLine(TOOL, ['copy', '--', '--help']).kind, 'run');
    assert.equal(readCommandLine(TOOL, ['-V']).kind, 'version');
    assert.throws(() => readCommandLine(TOOL, []), { message: 'missing command (copy, list)' });
    assert.throws(() => readCommandLine(TOOL, ['move']), { message: 'unknown command "move" (copy, list)' });
  });

  it("generates the help from the command's options, with their defaults", () => {
    const help = commandHelp(TOOL, 'copy', COPY);
    assert.ok(help.startsWith('usage: npm run tool -- copy <source> [options]\n   or: node tool.js copy <source> [options]\n\nCopies a thing.\n'), help);
    assert.match(help, /\n {6}--name <name> +its new name\n/);
    assert.match(help, /\n {6}--batch <n> +how many at once \(default 200\)\n/);
    assert.match(help, /\n {2}-f, --force +overwrite\n/);
    assert.match(help, /\n {2}-h, --help +show this help and exit\n/);
    assert.match(help, /\nExit status: 0 done, 1 error, 2 usage error \(docs\/cli\.md\)\.$/);
  });
});
