import type { Response } from 'express';

/** Bytes gathered before each write of a streamed answer. */
const STREAM_CHUNK = 64 * 1024;

/** Resolves when the socket takes more, or is gone. */
const writable = (res: Response) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

/**
 * Sends the text `pieces` yields as one answer, written in chunks as they come and only as fast as
 * the client reads (the next piece is asked for once the socket has taken the last chunk), so the
 * answer's size never sits in memory. A client that goes away stops the pieces (their generator's
 * `finally` runs). A failure before the first byte is thrown (and answered as a SCIM error); after
 * it, the only honest signal left is to cut the connection.
 */
export async function sendStreamed(res: Response, status: number, contentType: string, pieces: AsyncIterable<string>, headers: Record<string, string> = {}): Promise<void> {
  // Headers go out with the first byte: an error answered before it must not carry them (e.g. a download's file name).
  const begin = () => res.status(status).type(contentType).set(headers);
  // Once the client is gone no 'drain' or 'close' comes again: waiting for one would hang, and the
  // pieces (a database walk, spooled files) would never be released.
  let gone = false;
  res.once('close', () => {
    gone = true;
  });
  let chunk = '';
  try {
    for await (const piece of pieces) {
      if (gone) return;
      chunk += piece;
      if (chunk.length < STREAM_CHUNK) continue;
      if (!res.headersSent) begin();
      const flushed = res.write(chunk);
      chunk = '';
      if (!flushed && !gone) await writable(res);
      if (gone) return;
    }
  } catch (error) {
    if (!res.headersSent) throw error;
    res.destroy(error instanceof Error ? error : new Error(String(error)));
    return;
  }
  if (!res.headersSent) begin();
  res.end(chunk);
}
