import { assertHostAllowed, createGuardedLookup } from '../../nodes/net/address-guard';

/** How long a subscription's host name may take to resolve before it is accepted unchecked. */
const RESOLVE_TIMEOUT_MS = 3_000;

/**
 * Why `url` may not receive webhooks, or undefined when it may: the private-address guard of
 * `http-request` (src/nodes/net/address-guard.ts) with `allowedHosts` (`HTTP_ALLOWED_HOSTS`),
 * applied to an IP literal directly and to a host name's current addresses. A name that does not
 * resolve now is accepted: every delivery is checked again on the addresses it connects to.
 */
export async function destinationProblem(url: string, allowedHosts: readonly string[]): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = assertHostAllowed(url, allowedHosts);
  } catch (err) {
    return (err as Error).message;
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const lookup = createGuardedLookup(allowedHosts);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), RESOLVE_TIMEOUT_MS);
    lookup(host, { all: true }, (err) => {
      clearTimeout(timer);
      const blocked = (err as { options?: { type?: string } } | null)?.options?.type === 'AddressBlocked';
      resolve(blocked ? (err as Error).message : undefined);
    });
  });
}
