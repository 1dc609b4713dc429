// A database that cannot serve a request (full disk, read-only file, PostgreSQL down or
// restarting) answers 503 with Retry-After, which publishers retry; a bug still answers 500.
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { test } from 'node:test';
import { errorHandler } from '../src/api/errors.ts';

test('database failures: 503 with Retry-After naming the cause; other errors 500', async () => {
  const app = Fastify();
  app.setErrorHandler(errorHandler);
  app.get('/fail', async (req) => {
    const { code, message } = req.query as { code?: string; message?: string };
    throw Object.assign(new Error(message ?? 'boom'), code ? { code } : {});
  });
  try {
    const ask = (q: string) => app.inject({ method: 'GET', url: `/fail?${q}` });
    for (const code of ['SQLITE_FULL', 'SQLITE_READONLY', 'SQLITE_IOERR_WRITE', 'SQLITE_BUSY', 'ECONNREFUSED', '57P01', '57P03', '53100', '53300', '08006']) {
      const res = await ask(`code=${code}`);
      assert.equal(res.statusCode, 503, code);
      assert.equal(res.headers['retry-after'], '5');
      const body = res.json();
      assert.equal(body.error.code, 'UNAVAILABLE');
      assert.match(body.error.message, new RegExp(`^the database is unavailable \\(${code}\\)`));
    }
    assert.equal((await ask(`message=${encodeURIComponent('Connection terminated unexpectedly')}`)).statusCode, 503);
    for (const q of ['code=SQLITE_CONSTRAINT', 'code=23505', 'code=22021', 'message=boom']) assert.equal((await ask(q)).statusCode, 500, q);
  } finally {
    await app.close();
  }
});
