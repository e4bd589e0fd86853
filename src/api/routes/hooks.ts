import { Router, type Request } from 'express';
import type { AppDeps } from '../app-deps';
import { actorOf } from '../actor';
import { badRequest, notFound } from '../errors';
import { apiRateCounter } from '../middleware/api-rate-limit';
import { requireScope } from '../middleware/authenticate';
import { rawBody } from '../middleware/body';
import { clientIp, createRateLimiter } from '../middleware/rate-limit';
import { isUuid } from '../validate';
import type { LiveHook } from '../../services/hook-service';

const MAX_DELIVERY_ID = 200;

/** The token of a token hook: `Authorization: Bearer <token>`, else `?token=`. */
function tokenOf(req: Request): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  if (m) return m[1];
  return typeof req.query.token === 'string' && req.query.token ? req.query.token : undefined;
}

/** `X-Delivery-Id`: 400 when it is empty or longer than {@link MAX_DELIVERY_ID}. */
function deliveryIdOf(req: Request): string | undefined {
  const id = req.get('x-delivery-id');
  if (id !== undefined && (id.length === 0 || id.length > MAX_DELIVERY_ID)) {
    throw badRequest(`X-Delivery-Id must be 1 to ${MAX_DELIVERY_ID} characters`);
  }
  return id;
}

/**
 * `POST /hooks/{workflow_id}`, outside `/api/v1` and its authentication: the flow's own hook
 * credentials authenticate the call (docs/api-triggers.md). The flow and a token are checked
 * before the body is read, so an anonymous caller costs no body; a signature needs the body's
 * exact bytes, so hooks read it raw. Counted in the API-wide limit of the client's address.
 */
export function createHookRouter({ config, hooks }: AppDeps): Router {
  const r = Router();
  const limit = createRateLimiter({
    limit: config.rateLimit.perMinute,
    windowMs: 60_000,
    counter: apiRateCounter(config),
    key: (req) => `ip:${clientIp(req)}`,
  });

  r.post(
    '/:workflow_id',
    limit,
    async (req, res, next) => {
      if (!isUuid(req.params.workflow_id)) throw notFound('webhook');
      const found = await hooks.find(req.params.workflow_id);
      hooks.checkToken(found, tokenOf(req));
      res.locals.hook = found;
      res.locals.deliveryId = deliveryIdOf(req);
      next();
    },
    rawBody(config.bodyLimit),
    async (req, res) => {
      const found = res.locals.hook as LiveHook;
      const body = req.body as Buffer;
      hooks.checkSignature(found, { signature: req.get('x-signature'), timestamp: req.get('x-timestamp'), body });
      const { execution, finished } = await hooks.deliver(found, { body, deliveryId: res.locals.deliveryId as string | undefined });
      if (finished) {
        res.status(200).json({ execution_id: execution.id, status: execution.status, output_data: execution.output_data });
        return;
      }
      res.status(202).json({ execution_id: execution.id, status: execution.status });
    },
  );
  return r;
}

/** `POST /api/v1/workflows/{id}/hook/rotate`: new hook credentials for the owner, shown once. */
export function createHookRotateRouter({ hooks }: AppDeps): Router {
  const r = Router();
  r.post('/workflows/:id/hook/rotate', requireScope('write'), async (req, res) => {
    if (!isUuid(req.params.id)) throw notFound('workflow');
    res.json(await hooks.rotate(actorOf(req), req.params.id));
  });
  return r;
}
