import { Router } from 'express';
import type { AppDeps } from '../app-deps';
import { linkDecisionBody } from '../schemas/webhook-bodies';
import { parseBody } from '../validate';

/**
 * `/api/v1/approvals/links/{token}`: approval decision links, public (the signed token is the
 * credential). GET shows what the link would decide and decides nothing; POST decides, once.
 */
export function createApprovalLinkRouter({ approvalLinks }: AppDeps): Router {
  const r = Router();

  r.get('/:token', async (req, res) => {
    res.json(await approvalLinks.preview(String(req.params.token)));
  });

  r.post('/:token', async (req, res) => {
    const body = parseBody(linkDecisionBody, req);
    res.json(await approvalLinks.use(String(req.params.token), body.comment));
  });

  return r;
}
