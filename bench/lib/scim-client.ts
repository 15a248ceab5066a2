import http from 'node:http';

/** A small keep-alive SCIM client over node:http (no 300 s header timeout, unlike fetch). */
export interface ScimClient {
  base: string;
  token: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; ms: number }>;
  /** Fails unless the status is `status`; returns the parsed body. */
  json<T>(method: string, path: string, body: unknown, status: number): Promise<T>;
  expect(method: string, path: string, status: number, body?: unknown): Promise<string>;
}

const TIMEOUT_MS = 1_200_000;

/** `basePath` '/admin' talks to the admin API the same way. */
export function scimClient(origin: string, token: string, sockets = 16, basePath = '/scim/v2'): ScimClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const base = `${origin}${basePath}`;
  const request: ScimClient['request'] = (method, path, body) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        `${base}${path}`,
        {
          method,
          agent,
          headers: {
            Authorization: `Bearer ${token}`,
            Accept: 'application/scim+json',
            ...(payload ? { 'Content-Type': 'application/scim+json', 'Content-Length': payload.length } : {}),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
        },
      );
      req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`${method} ${path}: no answer within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  };
  const expect: ScimClient['expect'] = async (method, path, status, body) => {
    const result = await request(method, path, body);
    if (result.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${result.status}: ${result.text.slice(0, 500)}`);
    return result.text;
  };
  return {
    base,
    token,
    request,
    expect,
    json: async <T>(method: string, path: string, body: unknown, status: number) => JSON.parse(await expect(method, path, status, body)) as T,
  };
}
