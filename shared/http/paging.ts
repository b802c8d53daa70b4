import * as z from 'zod';

/** `?limit=`: 1 to 100 as digits only (the pattern shows in the OpenAPI spec), 20 when absent. */
export const pageLimit = z
  .string()
  .regex(/^(100|[1-9][0-9]?)$/, '1 to 100')
  .transform(Number)
  .prefault('20');
