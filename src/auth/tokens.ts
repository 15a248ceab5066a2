import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** API tokens are 256 random bits; at that entropy an unsalted SHA-256 is a safe stored form. */
export function generateToken(): string {
  return `scim_${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares digests, so neither the length nor the content of the expected token leaks through timing. */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
