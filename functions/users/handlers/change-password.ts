import * as z from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { changePassword } from '../domain/sessions.ts';
import { NewPassword, Password, UserPath } from '../schemas.ts';

const body = z
  .object({ currentPassword: Password, newPassword: NewPassword })
  .strict()
  .describe('403 when currentPassword is wrong; 400 when newPassword equals it');

export const handler = httpRoute(
  { access: 'user', schemas: { path: UserPath, body, response: { status: 204 }, errors: [404, 409, 503] } },
  async ({ path, body, principal, sourceIp, correlationId }) => {
    await changePassword(await usersApp(), principal, path.id, { ...body, clientIp: sourceIp }, { correlationId });
    return { status: 204 };
  },
);
