import { normalizeFlow } from '../nodes/normalize-flow';
import { rewriteSeedSyntax } from '../nodes/seed-syntax';
import { validateFlow, type ValidationResult } from '../nodes/validate-flow';
import type { FlowTrigger, Repos } from '../storage';
import type { FlowGraph } from '../shared/flow';
import { unprocessable } from '../shared/errors';
import type { combineTriggerHandlers, FlowGraphCheck } from './flow-triggers';
import { credentialWarnings } from './credentials/credential-references';
import type { FlowEnvironment, FlowService } from './flow-service-types';

/**
 * Turns validation problems into a 422 whose details map each path (renamed by `pathOf`) to its
 * message; several problems at one path are joined with `; `, so none is lost.
 */
function rejectInvalid(result: Pick<ValidationResult, 'errors'>, pathOf: (path: string) => string = (p) => p || '(root)'): never {
  const details: Record<string, string> = {};
  for (const e of result.errors) {
    const path = pathOf(e.path);
    details[path] = details[path] === undefined ? e.message : `${details[path]}; ${e.message}`;
  }
  throw unprocessable('flow is invalid', details);
}

/** The validation pipeline of the flow service, refusing or answering what a save sends. */
export interface FlowValidation {
  /** {@link FlowService.validate}: the graph and trigger on their own. */
  validate: FlowService['validate'];
  /** The one validation pipeline: what `/workflows/validate` answers and what every save refuses (errors) or answers (warnings). */
  validateOwned(ownerId: string, raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }): Promise<ValidationResult & { graph: FlowGraph }>;
  /** 422 when the trigger's own rules refuse it (a cron expression, a time zone…). */
  checkTrigger(trigger: FlowTrigger | undefined, pathOf?: (path: string) => string): void;
  /** {@link validateOwned}, refusing the flow with 422 (every error, paths renamed by `pathOf`) when it has errors. */
  checked(ownerId: string, raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }, pathOf?: (path: string) => string): Promise<ValidationResult & { graph: FlowGraph }>;
}

/** The flow service's validation over the owner's resources, the trigger handlers' rules and the deployment. */
export function createFlowValidation({
  repos,
  triggers,
  checks,
  environment,
}: {
  repos: Repos;
  triggers: Pick<ReturnType<typeof combineTriggerHandlers>, 'check'>;
  /** Owner-aware checks of a graph at save time and in validateFor (unknown tools…). */
  checks: readonly FlowGraphCheck[];
  environment: FlowEnvironment;
}): FlowValidation {
  /** Problems the owner-aware checks find in `graph`. */
  const ownerProblems = async (ownerId: string, graph: FlowGraph): Promise<ValidationResult['errors']> => {
    const problems: ValidationResult['errors'] = [];
    for (const check of checks) {
      for (const [path, message] of Object.entries((await check(ownerId, graph)) ?? {})) problems.push({ path, code: 'UNKNOWN_REFERENCE', message });
    }
    return problems;
  };
  const validate: FlowService['validate'] = (raw) => {
    // Seed 001's `{name}` placeholders and loop fields are stored in the platform's syntax; each rewrite is a warning.
    const { graph, rewrites } = rewriteSeedSyntax(normalizeFlow({ nodes: raw.nodes ?? [], edges: raw.edges ?? [] }));
    const result = validateFlow(graph, { save: environment });
    result.warnings.unshift(...rewrites);
    const problems = raw.trigger && typeof raw.trigger === 'object' ? triggers.check(raw.trigger as FlowTrigger) : undefined;
    if (!problems) return { ...result, graph };
    const errors = [...result.errors, ...Object.entries(problems).map(([path, message]) => ({ path, code: 'INVALID_TRIGGER', message }))];
    return { ...result, valid: false, errors, graph };
  };
  /** The one validation pipeline: what `/workflows/validate` answers and what every save refuses (errors) or answers (warnings). */
  const validateOwned = async (ownerId: string, raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }) => {
    const validated = validate(raw);
    const errors = [...validated.errors, ...(await ownerProblems(ownerId, validated.graph))];
    const warnings = [...validated.warnings, ...(await credentialWarnings(repos, ownerId, validated.graph.nodes))];
    return { ...validated, valid: errors.length === 0, errors, warnings };
  };

  /** 422 when the trigger's own rules refuse it (a cron expression, a time zone…). */
  const checkTrigger = (trigger: FlowTrigger | undefined, pathOf: (path: string) => string = (p) => p) => {
    const problems = trigger && triggers.check(trigger);
    if (problems) throw unprocessable('flow is invalid', Object.fromEntries(Object.entries(problems).map(([p, m]) => [pathOf(p), m])));
  };

  /** {@link validateOwned}, refusing the flow with 422 (every error, paths renamed by `pathOf`) when it has errors. */
  const checked = async (ownerId: string, raw: { nodes?: unknown; edges?: unknown; trigger?: unknown }, pathOf?: (path: string) => string) => {
    const r = await validateOwned(ownerId, raw);
    if (!r.valid) rejectInvalid(r, pathOf);
    return r;
  };

  return { validate, validateOwned, checkTrigger, checked };
}
