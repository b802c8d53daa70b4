import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokens } from '../auth/tokens.ts';
import { resetConfig, resetServiceConfigs } from '../config.ts';
import { httpRoute } from './handler.ts';

// The LocalStack target has no API Gateway authorizer (a paid feature there): functions verify the token themselves.
const context = { awsRequestId: 'req-1', functionName: 'test', getRemainingTimeInMillis: () => 1000 } as unknown as Context;
const whoAmI = httpRoute({ access: 'user' }, async (req) => ({ body: { userId: req.principal.userId } }));
const adminOnly = httpRoute({ access: 'admin' }, async () => ({ body: { ok: true } }));

function event(authorization?: string, authorizer?: Record<string, string>): APIGatewayProxyEvent {
  return {
    resource: '/me',
    path: '/me',
    httpMethod: 'GET',
    headers: authorization ? { Authorization: authorization } : {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', authorizer } as unknown as APIGatewayProxyEvent['requestContext'],
  };
}

let dataDir: string;
const saved = { ...process.env };
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'authz-'));
  Object.assign(process.env, { DATA_DIR: dataDir, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' });
  resetConfig();
  resetServiceConfigs();
});
afterAll(async () => {
  process.env = saved;
  resetConfig();
  await rm(dataDir, { recursive: true, force: true });
});
const bearer = async (role: 'customer' | 'admin') =>
  `Bearer ${(await (await accessTokens()).issue({ userId: 'usr_0000000000aaaaaaaaaaaaaaaa', role })).token}`;

describe('authorization inside the function (LocalStack target)', () => {
  it('is off by default: without an authorizer context a valid token is not enough', async () => {
    process.env.AUTHORIZE_IN_FUNCTION = 'false';
    resetConfig();
    expect((await whoAmI(event(await bearer('customer')), context)).statusCode).toBe(401);
  });

  it('when on, verifies the bearer token as the authorizer would, and enforces the role', async () => {
    process.env.AUTHORIZE_IN_FUNCTION = 'true';
    resetConfig();
    const ok = await whoAmI(event(await bearer('customer')), context);
    expect(ok.statusCode).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ userId: 'usr_0000000000aaaaaaaaaaaaaaaa' });
    expect((await adminOnly(event(await bearer('customer')), context)).statusCode).toBe(403);
    expect((await adminOnly(event(await bearer('admin')), context)).statusCode).toBe(200);
  });

  it('when on, refuses a missing, malformed or forged token with 401', async () => {
    process.env.AUTHORIZE_IN_FUNCTION = 'true';
    resetConfig();
    const token = await bearer('admin');
    const forged = `${token.slice(0, -4)}AAAA`;
    for (const header of [undefined, 'Bearer', 'Basic abc', forged])
      expect((await adminOnly(event(header), context)).statusCode, String(header)).toBe(401);
  });
});
