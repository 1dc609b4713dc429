// The part count that finds parts busboy skipped (src/api/multipart-parts.ts) must agree with
// busboy's own parser on every body, however the body is cut into chunks: a count above the
// parser's would refuse a good publish.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { Busboy as busboy } from '@fastify/busboy';
import { boundaryOf, countParts } from '../src/api/multipart-parts.ts';

/** Parts as busboy reads them: fields and files handed over, with skipped ones counted apart by their headers. */
async function busboyParts(body: Buffer, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let parts = 0;
    const bb = busboy({ headers: { 'content-type': contentType } });
    bb.on('field', () => parts++);
    bb.on('file', (_name: string, file: NodeJS.ReadableStream) => {
      parts++;
      file.resume();
    });
    bb.on('finish', () => resolve(parts));
    bb.on('error', reject);
    bb.end(body);
  });
}

async function counted(body: Buffer, boundary: string, cuts: number[]): Promise<number> {
  const stream = new PassThrough();
  const count = countParts(stream, boundary);
  let at = 0;
  for (const cut of [...cuts, body.length]) {
    stream.write(body.subarray(at, cut));
    at = cut;
  }
  stream.end();
  await new Promise((r) => stream.on('end', r));
  return count.parts();
}

test('boundaryOf reads plain and quoted boundaries', () => {
  assert.equal(boundaryOf('multipart/form-data; boundary=abc'), 'abc');
  assert.equal(boundaryOf('multipart/form-data; charset=utf-8; BOUNDARY="a b;c"'), 'a b;c');
  assert.equal(boundaryOf('multipart/form-data'), undefined);
});

test('the count equals the parts busboy hands over, for well-formed bodies cut anywhere', async () => {
  for (let round = 0; round < 200; round++) {
    const boundary = crypto.randomBytes(1 + (round % 12)).toString('hex');
    const n = round % 7;
    const partsText = Array.from({ length: n }, (_, i) => {
      // Content that comes close to a delimiter without being one.
      const content = ['x', `\r\n-${boundary}`, `x--${boundary}`, `\r\n--${boundary.slice(0, -1)}`, crypto.randomBytes(50).toString('base64')][i % 5];
      const file = i % 2 ? `; filename="f${i}.csv"` : '';
      return `--${boundary}\r\nContent-Disposition: form-data; name="p${i}"${file}\r\n\r\n${content}\r\n`;
    }).join('');
    const text = `${round % 3 ? '' : 'preamble\r\n'}${partsText}--${boundary}--\r\n${round % 4 ? '' : `epilogue\r\n--${boundary}\r\n`}`;
    const body = Buffer.from(text);
    const cuts = Array.from({ length: round % 5 }, () => crypto.randomInt(body.length + 1)).sort((a, b) => a - b);
    const ours = await counted(body, boundary, cuts);
    assert.equal(ours, await busboyParts(body, `multipart/form-data; boundary=${boundary}`), `round ${round}: ${JSON.stringify(text)} cut at ${cuts}`);
    assert.equal(ours, n);
  }
});

test('parts busboy skips are counted: the count exceeds what it hands over', async () => {
  const body = Buffer.from('--b\r\nContent-Disposition: form-data; name="event"\r\n\r\n{}\r\n--b\r\nContent-Disposition: attachment; filename="a.csv"\r\n\r\na\r\n--b--\r\n');
  for (let cut = 0; cut <= body.length; cut++) assert.equal(await counted(body, 'b', [cut]), 2, `cut at ${cut}`);
  assert.equal(await busboyParts(body, 'multipart/form-data; boundary=b'), 1);
});
