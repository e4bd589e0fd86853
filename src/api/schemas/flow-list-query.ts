import { z } from 'zod';
import type { FlowStatus } from '../../storage';

/**
 * What `GET /workflows?status=` takes: a stored status (`draft`, `published`, `archived`), or seed
 * 001's run states `running` (the flow's trigger is live: enabled and not archived) and `stopped`
 * (every other flow: disabled or archived).
 */
export const FLOW_LIST_STATUSES = ['draft', 'published', 'archived', 'running', 'stopped'] as const;

/** Query of `GET /workflows`. */
export const flowListQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  search: z.string().max(200).optional(),
  status: z.enum(FLOW_LIST_STATUSES).optional(),
  sort_by: z.enum(['name', 'created_at', 'updated_at']).default('updated_at'),
  sort_order: z.enum(['asc', 'desc']).default('desc'),
});

/** The repository filter of a list `status`: `running` / `stopped` select on whether the trigger is live. */
export function flowStatusFilter(status: (typeof FLOW_LIST_STATUSES)[number] | undefined): { status?: FlowStatus; live?: boolean } {
  if (status === 'running') return { live: true };
  if (status === 'stopped') return { live: false };
  return { status };
}
