import { z } from 'zod';
import { httpRoute } from '../../../shared/http/handler.ts';
import { usersApp } from '../composition.ts';
import { changePassword } from '../domain/sessions.ts';
import { Password, UserPath } from '../schemas.ts';

const body = z.object({ currentPassword: Password, newPassword: Password }).strict();

export const handler = httpRoute(
  { access: 'user', schemas: { path: UserPath, body } },
  async ({ path, body, principal, sourceIp, correlationId }) => {
    await changePassword(await usersApp(), principal, path.id, { ...body, clientIp: sourceIp }, { correlationId });
    return { status: 204 };
  },
);
