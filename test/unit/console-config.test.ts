import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';

describe('configuration: console session timeouts', () => {
  it('default to 15 minutes idle and 8 hours absolute', () => {
    assert.deepEqual(loadConfig({}).console, { idleTimeoutMs: 900_000, absoluteTimeoutMs: 28_800_000 });
  });

  it('are read in seconds', () => {
    assert.deepEqual(loadConfig({ CONSOLE_SESSION_IDLE_SECONDS: '60', CONSOLE_SESSION_MAX_SECONDS: '3600' }).console, { idleTimeoutMs: 60_000, absoluteTimeoutMs: 3_600_000 });
  });

  for (const [env, message] of [
    [{ CONSOLE_SESSION_IDLE_SECONDS: '0' }, /CONSOLE_SESSION_IDLE_SECONDS/],
    [{ CONSOLE_SESSION_IDLE_SECONDS: '15m' }, /CONSOLE_SESSION_IDLE_SECONDS: must be a whole number/],
    [{ CONSOLE_SESSION_IDLE_SECONDS: '86401', CONSOLE_SESSION_MAX_SECONDS: '604800' }, /CONSOLE_SESSION_IDLE_SECONDS: must be at most 86400/],
    [{ CONSOLE_SESSION_MAX_SECONDS: '-1' }, /CONSOLE_SESSION_MAX_SECONDS/],
    [{ CONSOLE_SESSION_MAX_SECONDS: '604801' }, /CONSOLE_SESSION_MAX_SECONDS: must be at most 604800/],
    [{ CONSOLE_SESSION_IDLE_SECONDS: '7200', CONSOLE_SESSION_MAX_SECONDS: '3600' }, /CONSOLE_SESSION_IDLE_SECONDS: must not exceed CONSOLE_SESSION_MAX_SECONDS/],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} at start-up, naming the variable`, () => {
      assert.throws(() => loadConfig(env), message);
    });
  }
});
