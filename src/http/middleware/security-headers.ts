import helmet from 'helmet';

/**
 * Headers for a JSON API: nothing may be rendered, framed or sniffed. HSTS is sent always: browsers
 * ignore it over plain HTTP (RFC 6797 §8.1), and behind a TLS-terminating proxy it is wanted.
 */
export const securityHeaders = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
  crossOriginResourcePolicy: { policy: 'same-origin' },
});
