import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, toSigningKeys } from '../../../shared/auth/keys.ts';
import { AccessTokens, accessTokens } from '../../../shared/auth/tokens.ts';
import { resetServiceConfigs } from '../../../shared/config.ts';
import { handler } from './authorizer.ts';

const methodArn = 'arn:aws:execute-api:us-east-1:000000000000:local/local/GET/users/usr_1';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shop-authorizer-'));
  process.env.DATA_DIR = dir;
  resetServiceConfigs();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('authorizer handler', () => {
  it('answers a valid Bearer token with an Allow policy and the principal as context', async () => {
    const { token } = await (await accessTokens()).issue({ userId: 'usr_1', role: 'customer' });
    const result = await handler({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn });
    expect(result.principalId).toBe('usr_1');
    expect(result.context).toEqual({ userId: 'usr_1', role: 'customer' });
    expect(JSON.stringify(result.policyDocument)).toContain('"Effect":"Allow"');
  });

  it('throws Unauthorized (401) for a missing scheme, garbage, or another key', async () => {
    const valid = await (await accessTokens()).issue({ userId: 'usr_1', role: 'customer' });
    const stranger = new AccessTokens(await toSigningKeys(await generateSigningKey()), (await accessTokens()).settings);
    const foreign = await stranger.issue({ userId: 'usr_1', role: 'admin' });
    for (const authorizationToken of [valid.token, 'Bearer not-a-jwt', `Bearer ${foreign.token}`, '']) {
      await expect(handler({ type: 'TOKEN', authorizationToken, methodArn })).rejects.toThrow(/^Unauthorized$/);
    }
  });
});
