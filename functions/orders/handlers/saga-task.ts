import type * as z from 'zod';
import { ValidationFailed } from '../../../shared/errors.ts';
import { zodIssues } from '../../../shared/http/errors.ts';
import { logger } from '../../../shared/observability.ts';

/**
 * A Step Functions task: validated input in, plain JSON out. Errors keep their class name (`OrderCancelled`,
 * `IllegalTransition`, ...), which is what the state machine's Catch matches.
 */
export function sagaTask<S extends z.ZodType, R>(schema: S, fn: (input: z.infer<S>) => Promise<R>) {
  return async (event: unknown): Promise<R> => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) throw new ValidationFailed('Invalid saga task input', zodIssues(parsed.error));
    try {
      return await fn(parsed.data);
    } catch (error) {
      logger.info('saga task failed', { error: error as Error });
      throw error;
    }
  };
}
