/**
 * Injected failures for crash tests: the next call of a real storage method fails as if the engine
 * had gone away at that moment (later calls reach the engine again). Not a mock: nothing is faked
 * but the one failure.
 */
export interface Fault {
  /** True once the failure was delivered. */
  readonly fired: boolean;
  restore(): void;
}

/** What the driver throws when the engine is unreachable: answered 503 with Retry-After. */
export function engineGone(): Error {
  return Object.assign(new Error('connection closed (injected)'), { name: 'MongoNetworkError' });
}

/** What the driver lets through when the engine dies while a command is being written: a bare socket error. */
export function socketBroken(): Error {
  return Object.assign(new Error('write EPIPE (injected)'), { code: 'EPIPE', errno: -32, syscall: 'write' });
}

export function failNext<T extends object, K extends keyof T>(target: T, method: K, failure: () => Error = engineGone): Fault {
  const original = target[method];
  const fault = {
    fired: false,
    restore: () => {
      target[method] = original;
    },
  };
  target[method] = (async () => {
    fault.restore();
    fault.fired = true;
    throw failure();
  }) as T[K];
  return fault;
}
