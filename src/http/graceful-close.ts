import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface GracefulClose {
  /** Stops accepting; resolves once every connection is closed, at the latest `graceMs` later. */
  close(graceMs: number, onGraceOver: () => void): Promise<void>;
}

/**
 * A graceful close for an HTTP server. It stops accepting at once; every response in progress gets
 * the grace period to be written and read, including one that is already ended while a slow
 * client is still reading it (Node's own server.close() counts such a connection idle, destroys it
 * and reports the response as finished); each connection closes as soon as it has no response in
 * progress; at the end of the grace the rest are destroyed, and their requests are logged as
 * aborted (request-log.ts). Call it on the server before it accepts connections.
 */
export function gracefulClose(server: Server): GracefulClose {
  const connections = new Set<Socket>();
  const responding = new Map<Socket, number>();
  let closing = false;

  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => {
      connections.delete(socket);
      responding.delete(socket);
    });
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    responding.set(socket, (responding.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (responding.get(socket) ?? 1) - 1;
      if (left > 0) {
        responding.set(socket, left);
        return;
      }
      responding.delete(socket);
      if (closing) socket.end();
    });
  });
  // server.close() calls this: only connections without a response in progress are idle.
  server.closeIdleConnections = () => {
    for (const socket of connections) if (!responding.has(socket)) socket.destroy();
  };

  return {
    async close(graceMs, onGraceOver) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const cut = setTimeout(() => {
        onGraceOver();
        server.closeAllConnections();
      }, graceMs);
      await closed;
      clearTimeout(cut);
    },
  };
}
