import net from 'node:net';
import { assertHostAllowed, createGuardedLookup } from '../../nodes/net/address-guard';
import { destinationProblem } from '../webhooks/destination-check';

/**
 * Database connections pass the private-address guard of HTTP nodes (src/nodes/net/address-guard.ts)
 * with `HTTP_ALLOWED_HOSTS`: an IP literal is checked before connecting, a host name on the very
 * addresses DNS returned for each connection, so a name cannot re-resolve past the check.
 */

/** `http://host/` for a bare host name or IP (IPv6 in brackets), to reuse the URL-based checks. */
function hostUrl(host: string): string {
  return `http://${net.isIPv6(host) ? `[${host}]` : host}/`;
}

/**
 * Throws the guard's NodeError (non-retryable, type `AddressBlocked`) when `host` is an IP literal
 * the guard refuses; names are checked when they are resolved, by {@link guardedSocketFactory}.
 */
export function assertHostLiteralAllowed(host: string, allowedHosts: readonly string[]): void {
  assertHostAllowed(hostUrl(host), allowedHosts);
}

/** Why the guard would refuse `host` now (literal or current addresses), or undefined (a save-time check). */
export function hostProblem(host: string, allowedHosts: readonly string[]): Promise<string | undefined> {
  return destinationProblem(hostUrl(host), allowedHosts);
}

/**
 * A socket factory for database drivers that call `socket.connect(port, host)` themselves (pg) or
 * take a ready stream (mysql2): the connection resolves its host through the guarded lookup.
 */
export function guardedSocketFactory(allowedHosts: readonly string[]): () => net.Socket {
  const lookup = createGuardedLookup(allowedHosts);
  return () => {
    const socket = new net.Socket();
    const connect = socket.connect.bind(socket) as (options: net.TcpSocketConnectOpts) => net.Socket;
    // pg calls connect(port, host); every other form goes through unchanged.
    (socket as unknown as { connect: (...args: unknown[]) => net.Socket }).connect = (...args: unknown[]) =>
      typeof args[0] === 'number' && typeof args[1] === 'string'
        ? connect({ port: args[0], host: args[1], lookup })
        : (connect as (...a: unknown[]) => net.Socket)(...args);
    return socket;
  };
}

/** A connected-on-demand socket to `host:port` through the guarded lookup (mysql2's `stream` option). */
export function guardedConnect(host: string, port: number, allowedHosts: readonly string[]): net.Socket {
  return net.connect({ host, port, lookup: createGuardedLookup(allowedHosts) });
}
