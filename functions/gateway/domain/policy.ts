import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import type { Access, Principal, Role } from '../../../shared/http/handler.ts';
import type { ServiceManifest } from '../../../shared/service.ts';

/** What each role may call: customers the signed-in routes, admins those and the admin routes. */
const allowedAccess: Record<Role, Access[]> = { customer: ['user'], admin: ['user', 'admin'] };

/** `arn:aws:execute-api:region:account:apiId/stage/` from the method ARN of the request being authorized. */
export function apiArnPrefix(methodArn: string): string {
  const [arnHead, stage] = methodArn.split('/');
  if (!arnHead?.startsWith('arn:') || !stage) throw new Error(`Not an execute-api method ARN: ${methodArn}`);
  return `${arnHead}/${stage}/`;
}

/** Method ARNs of every route the role may call; `{param}` segments match any value. */
export function allowedResources(role: Role, methodArn: string, services: ServiceManifest[]): string[] {
  const prefix = apiArnPrefix(methodArn);
  const access = allowedAccess[role];
  return services
    .flatMap((s) => s.routes)
    .filter((route) => access.includes(route.access))
    .map((route) => `${prefix}${route.method}${route.path.replace(/\{[^}/]+\}/g, '*')}`)
    .sort();
}

/**
 * The policy covers every route the role may call, not only the one being authorized: API Gateway caches the
 * result per token (resultTtlSeconds) and reuses it for the caller's other requests.
 */
export function buildPolicy(principal: Principal, methodArn: string, services: ServiceManifest[]): APIGatewayAuthorizerResult {
  const resources = allowedResources(principal.role, methodArn, services);
  return {
    principalId: principal.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: resources.length
        ? [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources }]
        : [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: `${apiArnPrefix(methodArn)}*` }],
    },
    context: { userId: principal.userId, role: principal.role },
  };
}
