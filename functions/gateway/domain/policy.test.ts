import { describe, expect, it } from 'vitest';
import { policyAllows } from '../../../infra/offline/http-gateway.ts';
import { defineService } from '../../../shared/service.ts';
import { allowedResources, apiArnPrefix, buildPolicy } from './policy.ts';

const shop = defineService({
  name: 'shop',
  description: 'routes of every access level',
  stores: {},
  routes: [
    { method: 'GET', path: '/health', handler: 'h', access: 'public', summary: '' },
    { method: 'GET', path: '/users/{id}', handler: 'h', access: 'user', summary: '' },
    { method: 'PATCH', path: '/users/{id}', handler: 'h', access: 'user', summary: '' },
    { method: 'GET', path: '/orders/user/{userId}', handler: 'h', access: 'user', summary: '' },
    { method: 'POST', path: '/products', handler: 'h', access: 'admin', summary: '' },
    { method: 'PUT', path: '/products/{id}/inventory', handler: 'h', access: 'admin', summary: '' },
  ],
});
const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/users/usr_1';
const prefix = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/';

// The evaluator the offline gateway enforces the policy with, so these tests prove what callers meet.
const allows = (policy: ReturnType<typeof buildPolicy>, arn: string) => policyAllows(policy.policyDocument, arn);

describe('authorizer policy', () => {
  it('takes the API and stage from the method ARN', () => {
    expect(apiArnPrefix(methodArn)).toBe(prefix);
    expect(() => apiArnPrefix('GET/users')).toThrow();
  });

  it('gives a customer the signed-in routes only, with path parameters as wildcards', () => {
    expect(allowedResources('customer', methodArn, [shop])).toEqual([
      `${prefix}GET/orders/user/*`,
      `${prefix}GET/users/*`,
      `${prefix}PATCH/users/*`,
    ]);
  });

  it('gives an admin the signed-in and the admin routes, never the public ones (they skip the authorizer)', () => {
    const resources = allowedResources('admin', methodArn, [shop]);
    expect(resources).toContain(`${prefix}POST/products`);
    expect(resources).toContain(`${prefix}PUT/products/*/inventory`);
    expect(resources).toContain(`${prefix}GET/users/*`);
    expect(resources).not.toContain(`${prefix}GET/health`);
  });

  it('lets the customer through to their routes on any id and stops them at admin routes', () => {
    const policy = buildPolicy({ userId: 'usr_1', role: 'customer' }, methodArn, [shop]);
    expect(policy.principalId).toBe('usr_1');
    expect(policy.context).toEqual({ userId: 'usr_1', role: 'customer' });
    expect(allows(policy, `${prefix}GET/users/usr_2`)).toBe(true);
    expect(allows(policy, `${prefix}PATCH/users/usr_1`)).toBe(true);
    expect(allows(policy, `${prefix}POST/products`)).toBe(false);
    expect(allows(policy, `${prefix}PUT/products/p1/inventory`)).toBe(false);
    expect(allows(policy, `${prefix}DELETE/users/usr_1`)).toBe(false);
    expect(allows(policy, 'arn:aws:execute-api:eu-west-1:123456789012:other/prod/GET/users/usr_1')).toBe(false);
  });

  it('lets an admin call admin routes', () => {
    const policy = buildPolicy({ userId: 'usr_9', role: 'admin' }, methodArn, [shop]);
    expect(allows(policy, `${prefix}POST/products`)).toBe(true);
    expect(allows(policy, `${prefix}PUT/products/p1/inventory`)).toBe(true);
  });

  it('denies everything when a role has no routes at all', () => {
    const none = defineService({ name: 'none', description: '', stores: {}, routes: [] });
    const policy = buildPolicy({ userId: 'usr_1', role: 'customer' }, methodArn, [none]);
    expect(allows(policy, `${prefix}GET/users/usr_1`)).toBe(false);
  });
});
