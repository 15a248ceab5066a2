import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ScimError } from '../../src/errors/scim-error.js';
import { errorHandler } from '../../src/http/middleware/error-handler.js';
import { sendStreamed } from '../../src/http/streamed-response.js';
import { until } from '../lifecycle/helpers.js';

/**
 * Exports and the access review are written as they are computed (sendStreamed): only as fast as
 * the client reads, and a client that goes away stops the work behind them (a database walk,
 * spooled files), even when it left while a chunk was on its way.
 */
describe('streamed answers', () => {
  const PIECE = 'x'.repeat(16 * 1024);
  const TOTAL = 10_000;
  let server: http.Server;
  let base: string;
  const state = { pulled: 0, released: false };

  async function* pieces(): AsyncGenerator<string> {
    try {
      for (state.pulled = 0; state.pulled < TOTAL; state.pulled += 1) yield PIECE;
    } finally {
      state.released = true;
    }
  }

  /** A piece, then a wait (as for the next batch from the database) that the test ends, then more. */
  const gate = { open: () => undefined as void, closedBy: Promise.resolve(), serverSawClose: false };
  async function* slow(): AsyncGenerator<string> {
    try {
      yield PIECE.repeat(5);
      await gate.closedBy;
      for (state.pulled = 1; state.pulled < TOTAL; state.pulled += 1) yield PIECE;
    } finally {
      state.released = true;
    }
  }

  async function* failing(afterPieces: number): AsyncGenerator<string> {
    for (let n = 0; n < afterPieces; n += 1) yield PIECE;
    throw new ScimError('unavailable', 'The identity store is temporarily unavailable', { 'Retry-After': '5' });
  }

  before(async () => {
    const app = express();
    app.get('/stream', (_req, res) => sendStreamed(res, 200, 'text/plain', pieces()));
    app.get('/slow', (_req, res) => {
      res.once('close', () => {
        gate.serverSawClose = true;
      });
      return sendStreamed(res, 200, 'text/plain', slow());
    });
    app.get('/fails-at-once', (_req, res) => sendStreamed(res, 200, 'text/csv', failing(0), { 'Content-Disposition': 'attachment; filename="x.csv"' }));
    app.get('/fails-later', (_req, res) => sendStreamed(res, 200, 'text/csv', failing(20), { 'Content-Disposition': 'attachment; filename="x.csv"' }));
    app.use(errorHandler(() => undefined));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    state.pulled = 0;
    state.released = false;
  });

  it('a client that stops reading stops the pieces (backpressure), and one that leaves releases them', async () => {
    const response = await new Promise<http.IncomingMessage>((resolve) => http.get(`${base}/stream`, resolve));
    assert.equal(response.statusCode, 200);
    response.pause();
    let before = -1;
    await until(async () => {
      const now = state.pulled;
      await new Promise((resolve) => setTimeout(resolve, 200));
      const settled = now === state.pulled && now === before;
      before = now;
      return settled;
    }, 'the pieces to stop while the client does not read');
    assert.ok(state.pulled < TOTAL / 10, `only what the socket buffers is produced: ${state.pulled} of ${TOTAL} pieces`);
    assert.equal(state.released, false);
    response.destroy();
    await until(() => state.released, 'the pieces to be released after the client left');
    assert.ok(state.pulled < TOTAL / 10);
  });

  it('a client that leaves at once releases the pieces too', async () => {
    await new Promise<void>((resolve) => {
      const request = http.get(`${base}/stream`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
    });
    await until(() => state.released, 'the pieces to be released');
    assert.ok(state.pulled < TOTAL);
  });

  it('a client that leaves while the next piece is being computed (a database read) releases the pieces', async () => {
    gate.serverSawClose = false;
    gate.closedBy = new Promise<void>((resolve) => {
      gate.open = resolve;
    });
    await new Promise<void>((resolve) => {
      const request = http.get(`${base}/slow`, (response) => {
        response.once('data', () => {
          request.destroy();
          resolve();
        });
      });
    });
    await until(() => gate.serverSawClose, 'the server to see the client leave');
    gate.open();
    await until(() => state.released, 'the pieces to be released');
    assert.ok(state.pulled < TOTAL);
  });

  it('a failure before the first byte is a SCIM error without the download headers; after it, the connection is cut', async () => {
    const early = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve) =>
      http.get(`${base}/fails-at-once`, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      }),
    );
    assert.equal(early.status, 503);
    assert.equal(early.headers['retry-after'], '5');
    assert.equal(early.headers['content-disposition'], undefined);
    assert.equal(JSON.parse(early.body).status, '503');

    const late = await new Promise<{ status: number; outcome: string }>((resolve) =>
      http.get(`${base}/fails-later`, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, outcome: 'ended' }));
        response.on('error', () => resolve({ status: response.statusCode ?? 0, outcome: 'cut' }));
        response.on('aborted', () => resolve({ status: response.statusCode ?? 0, outcome: 'cut' }));
      }),
    );
    assert.deepEqual(late, { status: 200, outcome: 'cut' }, 'a truncated answer never ends as if complete');
  });
});
