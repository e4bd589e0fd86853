/** Request shapes of the schedule routes, shared by the routes and the OpenAPI document. */
import { z } from 'zod';

const isoDateTime = z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-01-01T09:00:00Z' });

/** Body of `POST /workflows/{id}/schedule/backfill`. */
export const backfillBodySchema = z.object({ start: isoDateTime, end: isoDateTime }).strict();

/** Query of `GET /schedules`. */
export const scheduleListQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
