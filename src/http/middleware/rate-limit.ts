import type { NextFunction, Request, Response } from 'express';
import type { RateLimitConfig } from '../../config.js';
import { ScimError } from '../../errors/scim-error.js';
import { principalOf } from './authenticate.js';

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, in milliseconds. */
  at: number;
}

/** Buckets are dropped once full again (an idle credential costs nothing); checked this often. */
const SWEEP_EVERY = 1000;

/**
 * A token bucket per credential (tenant + credential name), in this process's memory: with N
 * instances behind a load balancer the effective limit is N times the configured one.
 */
export function createRateLimiter({ perSecond, burst }: RateLimitConfig, now: () => number = Date.now) {
  const buckets = new Map<string, Bucket>();
  let calls = 0;

  const refill = (bucket: Bucket, time: number) => {
    bucket.tokens = Math.min(burst, bucket.tokens + ((time - bucket.at) / 1000) * perSecond);
    bucket.at = time;
  };

  function sweep(time: number): void {
    for (const [key, bucket] of buckets) {
      refill(bucket, time);
      if (bucket.tokens >= burst) buckets.delete(key);
    }
  }

  /** Takes one token; returns 0 when granted, else the seconds until one is available. */
  return function take(key: string): number {
    const time = now();
    calls += 1;
    if (calls % SWEEP_EVERY === 0) sweep(time);
    const bucket = buckets.get(key) ?? { tokens: burst, at: time };
    buckets.set(key, bucket);
    refill(bucket, time);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  };
}

/** 429 with Retry-After and a SCIM error body (RFC 7644 §3.12 allows any status; there is no scimType for it). */
export function rateLimit(config: RateLimitConfig) {
  if (config.perSecond === 0) return (_req: Request, _res: Response, next: NextFunction) => next();
  const take = createRateLimiter(config);
  return (_req: Request, res: Response, next: NextFunction): void => {
    const { tenant, credential } = principalOf(res);
    const wait = take(`${tenant}\u0000${credential}`);
    if (wait === 0) return next();
    next(new ScimError('tooManyRequests', `Too many requests for this credential; retry after ${wait} s`, { 'Retry-After': String(wait) }));
  };
}
