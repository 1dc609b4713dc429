// Fields of the SDK's requests that HookRelay has nothing behind (user preferences of ThoughtSpot's
// UI, trusted authentication's auto-creation, welcome emails). The app's validator removes fields
// a body schema does not name, so these were accepted and ignored: a search filtered on one
// answered as if unfiltered, and a token asked with user_parameters came without them (SDK audit,
// 2026-12-07). A route names them in its schema (so they reach it) and refuses them when set.
import { Type, type TSchema } from '@sinclair/typebox';
import { badRequest } from './errors.ts';

/** Schema properties for `names`, each optional and of any type: checked by refuseUnsupported. */
export function unsupportedFields(names: readonly string[]): Record<string, TSchema> {
  return Object.fromEntries(names.map((n) => [n, Type.Optional(Type.Unknown())]));
}

/** A 400 naming the first of `names` set in `body` (null, false or an empty list are unset). */
export function refuseUnsupported(body: Record<string, unknown> | null | undefined, names: readonly string[], why: string): void {
  for (const name of names) {
    const v = body?.[name];
    if (v === undefined || v === null || v === false || (Array.isArray(v) && v.length === 0)) continue;
    throw badRequest(name, `is not supported: ${why}`);
  }
}
