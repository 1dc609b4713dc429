// Password checks behind the failed-sign-in throttle (src/security/sign-in-throttle.ts), keyed by
// the client's address (the proxy's client with HOOKRELAY_TRUST_PROXY) and the account: signing
// in (a bearer token from auth/token/full, or the console's session) and the current password of
// users/change-password, which a stolen token could otherwise guess without limit (fuzzing).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { BadCredentials, issueToken, type IssuedToken } from '../services/identity.ts';
import { clientOf, type SignInThrottle } from '../security/sign-in-throttle.ts';
import { ApiError } from './errors.ts';

/**
 * Runs `check` (which throws BadCredentials for a wrong password) as one counted attempt of the
 * client at the account `account` (a user's id, see accountOf), or answers 429 with Retry-After
 * when the client must wait.
 */
export async function throttled<T>(throttle: SignInThrottle, req: FastifyRequest, reply: FastifyReply, account: string, check: () => Promise<T>): Promise<T> {
  const client = clientOf(req.ip);
  const wait = throttle.attempt(client, account);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    reply.header('retry-after', String(seconds));
    throw new ApiError(429, 'TOO_MANY_ATTEMPTS', `username: too many failed sign-ins from this client; try again in ${seconds} s`, 'username');
  }
  try {
    const out = await check();
    throttle.succeeded(client, account);
    return out;
  } catch (err) {
    // Counted already; any other refusal (the org, the account changed meanwhile) knew the password.
    if (!(err instanceof BadCredentials)) throttle.succeeded(client, account);
    throw err;
  }
}

/**
 * The throttle's key for a username as sent: the user's id when it names one (by id or by name,
 * one count for both: they were two windows), else the name itself.
 */
export async function accountOf(ctx: AppContext, username: string): Promise<string> {
  const user = await ctx.store.findUser(username);
  return user ? userAccount(user.id) : `name:${username}`;
}

/** The throttle's key for a known user. */
export const userAccount = (userId: string): string => `user:${userId}`;

export async function signIn(
  ctx: AppContext,
  throttle: SignInThrottle,
  req: FastifyRequest,
  reply: FastifyReply,
  input: { username: string; password: string; orgId?: number; validitySec: number },
): Promise<IssuedToken> {
  return throttled(throttle, req, reply, await accountOf(ctx, input.username), () => issueToken(ctx.store, input));
}
