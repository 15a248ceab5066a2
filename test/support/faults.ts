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

export function failNext<T extends object, K extends keyof T>(target: T, method: K): Fault {
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
    throw engineGone();
  }) as T[K];
  return fault;
}
