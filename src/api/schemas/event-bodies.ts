import { z } from 'zod';

/** Body of `POST /events` (docs/api-triggers.md). */
export const eventBodySchema = z.object({
  type: z.string().min(1).max(200),
  data: z.unknown().optional(),
  id: z.string().min(1).max(200).optional(),
});
