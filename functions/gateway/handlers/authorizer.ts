import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { accessTokens, bearerToken } from '../../../shared/auth/tokens.ts';
import { logger } from '../../../shared/observability.ts';
import { services } from '../../catalog.ts';
import { buildPolicy } from '../domain/policy.ts';

/**
 * TOKEN authorizer. Throwing exactly `Unauthorized` is API Gateway's way to answer 401; a valid token gets a policy
 * allowing every route its role may call, and `{ userId, role }` as the context handlers read their principal from.
 */
export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = bearerToken(event.authorizationToken);
  if (!token) throw new Error('Unauthorized');
  let principal: Awaited<ReturnType<Awaited<ReturnType<typeof accessTokens>>['verify']>>;
  try {
    // Fails closed: no readable signing key (none written yet, Secrets Manager down) means no token can be trusted.
    principal = await (await accessTokens()).verify(token);
  } catch {
    logger.info('token rejected');
    throw new Error('Unauthorized');
  }
  return buildPolicy({ userId: principal.userId, role: principal.role }, event.methodArn, services);
};
