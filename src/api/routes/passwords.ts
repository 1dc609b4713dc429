// /api/rest/2.0/users/change-password and /users/reset-password, as the SDK's UsersApi sends them.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.ts';
import { allows } from '../../domain/privileges.ts';
import { hashPassword, verifyPassword } from '../../security/passwords.ts';
import type { UserRow } from '../../store/types.ts';
import { principal } from '../auth.ts';
import { badRequest, forbidden } from '../errors.ts';
import { changeUser, checkPassword, PASSWORD, userNamed } from '../user-rules.ts';
import { throttled, userAccount } from '../sign-in.ts';
import { BadCredentials } from '../../services/identity.ts';
import type { SignInThrottle } from '../../security/sign-in-throttle.ts';

const tags = ['Users'];

export function passwordRoutes(app: FastifyInstance, ctx: AppContext, throttle: SignInThrottle) {
  // A password changed or reset ends every session of the user, the caller's own included: one
  // opened with the old password must not outlive it.
  app.post(
    '/api/rest/2.0/users/change-password',
    {
      config: { access: 'authenticated' },
      schema: { tags, body: Type.Object({ user_identifier: Type.String(), current_password: PASSWORD, new_password: PASSWORD }) },
    },
    async (req, reply) => {
      const p = principal(req);
      const body = req.body as { user_identifier: string; current_password: string; new_password: string };
      // Refused before any lookup: a 403 for a user who exists in another org and a 400 for one
      // who does not told them apart, where users/search shows neither (fuzzing).
      const self = body.user_identifier === p.user.id || body.user_identifier === p.user.name;
      if (!self && !allows(p.user.privileges, 'administer')) throw forbidden('user_identifier: changing another user\'s password needs the ADMINISTRATION privilege');
      const user = await userNamed(ctx, body.user_identifier);
      try {
        await throttled(throttle, req, reply, userAccount(user.id), async () => {
          if (!(await verifyPassword(body.current_password, user.passwordHash))) throw new BadCredentials();
        });
      } catch (err) {
        if (err instanceof BadCredentials) throw badRequest('current_password', 'is not the user\'s password');
        throw err;
      }
      await setPassword(user, checkPassword(body.new_password, 'new_password'));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/rest/2.0/users/reset-password',
    { config: { access: 'administer' }, schema: { tags, body: Type.Object({ user_identifier: Type.String(), new_password: PASSWORD }) } },
    async (req, reply) => {
      const body = req.body as { user_identifier: string; new_password: string };
      const user = await userNamed(ctx, body.user_identifier);
      await setPassword(user, checkPassword(body.new_password, 'new_password'));
      return reply.status(204).send();
    },
  );

  async function setPassword(user: UserRow, password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    // The store ends every session of the user with the new password.
    await changeUser(ctx, user, (u) => ({ ...u, passwordHash }), false);
  }
}
