import type { Request, Response } from 'express';
import { z } from 'zod';
import type { RunTrigger } from '../shared/flow';
import type { Actor } from '../services/actor';
import type { RunService } from '../services/run-service';
import { badRequest } from './errors';

/** Body of `POST /workflows/{id}/execute` (and, with `workflow_id`, of `POST /executions`). */
export const executeBodySchema = z.object({
  input_data: z.unknown().optional(),
  version: z.number().int().min(1).max(2_147_483_647).optional(),
  wait: z.boolean().default(false),
  timeout_ms: z.number().int().min(1).max(300_000).default(30_000),
});

export const MAX_IDEMPOTENCY_KEY = 200;

/** The `Idempotency-Key` header: 400 when it is empty or longer than {@link MAX_IDEMPOTENCY_KEY}. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY)) {
    throw badRequest(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`);
  }
  return key;
}

/**
 * Starts a run and answers as docs/api.md says: 201 (200 for a repeated idempotency key); with
 * `wait`, 200 and the output when it finishes within `timeout_ms`, else 202 with the running run.
 * A run accepted while Temporal is unreachable is answered 202 with its id and status `pending`:
 * it starts when Temporal is back (never 503 for work that will happen anyway).
 */
export async function executeAndRespond(
  runs: RunService,
  actor: Actor,
  flowId: string,
  body: z.infer<typeof executeBodySchema>,
  req: Request,
  res: Response,
  trigger: RunTrigger,
): Promise<void> {
  const { execution, created, started } = await runs.execute(actor, flowId, {
    input_data: body.input_data,
    version: body.version,
    idempotency_key: idempotencyKeyOf(req),
    trigger,
    // A caller who waits is refused when runs wait longer than its timeout just to start.
    admission: { waitMs: body.wait ? body.timeout_ms : undefined },
  });
  if (!started) {
    res.status(202).set('Retry-After', '1').json(execution);
    return;
  }
  if (!body.wait) {
    res.status(created ? 201 : 200).json(execution);
    return;
  }
  const waited = await runs.waitFor(actor, execution.id, body.timeout_ms);
  res.status(waited.finished ? 200 : 202).json(waited.execution);
}
