// Counts the parts of a multipart body as it streams in, to compare with the parts the parser
// handed over. @fastify/busboy skips some parts without a word: one whose Content-Disposition is
// not form-data ("attachment"), has none, or whose name or filename holds a line break (a
// filename* of "%0D%0A"). A publish then answered 202 without that file (API fuzzing,
// 2026-12-07). The count follows busboy's own parser (Dicer): a delimiter is CRLF "--" boundary,
// the body read as if it began with CRLF, and the first delimiter followed by "--" ends the body.
import type { Readable } from 'node:stream';

const DASH = 0x2d;

/** The boundary parameter of a multipart Content-Type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Parts counted so far (those whose delimiter was read, up to the closing one); stop() detaches. */
export interface PartCount {
  parts(): number;
  stop(): void;
}

/**
 * Starts counting the parts of `body`, to be called in the same tick as the parser's pipe (a
 * 'data' listener beside it sees the same chunks, and neither flows before the next tick).
 */
export function countParts(body: Readable, boundary: string): PartCount {
  const needle = Buffer.from(`\r\n--${boundary}`, 'latin1');
  let pending: Buffer = Buffer.from('\r\n');
  let parts = 0;
  const onData = (chunk: Buffer) => {
    const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const at = buf.indexOf(needle, from);
      if (at === -1) {
        // Keep what could be the start of a delimiter cut by the chunk's end (copied: a
        // subarray would keep the whole chunk, up to the body limit, alive).
        pending = Buffer.from(buf.subarray(Math.max(from, buf.length - needle.length - 1)));
        return;
      }
      const after = at + needle.length;
      if (after + 2 > buf.length) {
        pending = Buffer.from(buf.subarray(at));
        return;
      }
      if (buf[after] === DASH && buf[after + 1] === DASH) {
        body.off('data', onData);
        return;
      }
      parts++;
      from = after;
    }
  };
  body.on('data', onData);
  return { parts: () => parts, stop: () => body.off('data', onData) };
}
