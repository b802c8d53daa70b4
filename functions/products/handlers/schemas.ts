import { z } from 'zod';

/** Path of every `/products/{id}` route. Any string is accepted here: an id that is not a product id is a 404, not a 400. */
export const ProductPath = z.object({ id: z.string().min(1).max(200) }).strict();
export const NoQuery = z.object({}).strict();
