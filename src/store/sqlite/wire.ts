// What crosses between the main thread and the storage thread (threaded.ts, thread-host.ts).
import { ConflictError } from '../types.ts';

export interface Call {
  id: number;
  m: string;
  a: unknown[];
}

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  constraint?: ConflictError['constraint'];
}

/** Errors lose their class in a structured clone: carry what callers test (class, code). */
export function toWire(err: unknown): WireError {
  const e = err as Partial<WireError> & Error;
  return {
    name: e?.name ?? 'Error',
    message: e?.message ?? String(err),
    stack: e?.stack,
    code: typeof e?.code === 'string' ? e.code : undefined,
    constraint: err instanceof ConflictError ? err.constraint : undefined,
  };
}

export function fromWire(w: WireError): Error {
  const err: Error & { code?: string } = w.constraint ? new ConflictError(w.constraint, w.message) : new Error(w.message);
  if (w.code) err.code = w.code;
  if (w.name && !w.constraint) err.name = w.name;
  // Keep the storage thread's stack: it says where the statement failed.
  if (w.stack) err.stack = w.stack;
  return err;
}
