// Signing in (a bearer token from auth/token/full, or the console's session): the password check
// behind the failed-sign-in throttle (src/security/sign-in-throttle.ts), keyed by the client's
// address (the proxy's client with HOOKRELAY_TRUST_PROXY) and the username.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.ts';
import { BadCredentials, issueToken, type IssuedToken } from '../services/identity.ts';
import type { SignInThrottle } from '../security/sign-in-throttle.ts';
import { ApiError } from './errors.ts';

export async function signIn(
  ctx: AppContext,
  throttle: SignInThrottle,
  req: FastifyRequest,
  reply: FastifyReply,
  input: { username: string; password: string; orgId?: number; validitySec: number },
): Promise<IssuedToken> {
  const wait = throttle.waitMs(req.ip, input.username);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    reply.header('retry-after', String(seconds));
    throw new ApiError(429, 'TOO_MANY_ATTEMPTS', `username: too many failed sign-ins from this client; try again in ${seconds} s`, 'username');
  }
  try {
    const issued = await issueToken(ctx.store, input);
    throttle.succeeded(req.ip, input.username);
    return issued;
  } catch (err) {
    if (err instanceof BadCredentials) throttle.failed(req.ip, input.username);
    throw err;
  }
}
