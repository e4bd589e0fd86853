import type { Config } from '../config';
import { ApiError } from './errors';

/**
 * How many live event connections (WebSocket and SSE streams together) each user holds open, capped
 * at `config.rateLimit.liveConnectionsPerUser`. Each connection costs a socket and a poller, so one
 * user's hundreds of sockets slowed every other user's requests; with the cap they cannot.
 * In process memory: with several API processes, each counts its own connections.
 */
export interface LiveConnectionLimit {
  readonly max: number;
  /** Takes one of `userId`'s slots: returns its release (safe to call twice), or undefined when all are taken. */
  acquire(userId: string): (() => void) | undefined;
  /** Connections `userId` holds now. */
  count(userId: string): number;
}

/** A limit of `max` connections per user. */
export function createLiveConnectionLimit(max: number): LiveConnectionLimit {
  const open = new Map<string, number>();
  return {
    max,
    acquire(userId) {
      const n = open.get(userId) ?? 0;
      if (n >= max) return undefined;
      open.set(userId, n + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (open.get(userId) ?? 1) - 1;
        if (left > 0) open.set(userId, left);
        else open.delete(userId);
      };
    },
    count: (userId) => open.get(userId) ?? 0,
  };
}

const shared = new WeakMap<Config, LiveConnectionLimit>();

/**
 * The limit of the API built from `config`, shared by the WebSocket endpoint and the SSE route so
 * that both kinds of connection count against one budget per user.
 */
export function liveConnectionLimit(config: Config): LiveConnectionLimit {
  let limit = shared.get(config);
  if (!limit) {
    limit = createLiveConnectionLimit(config.rateLimit.liveConnectionsPerUser);
    shared.set(config, limit);
  }
  return limit;
}

/** The 429 for a user who holds every slot. */
export function tooManyLiveConnections(max: number): ApiError {
  return new ApiError(
    429,
    'RATE_LIMITED',
    `too many live connections: at most ${max} per user at once; close one first`,
    { limit: max },
  );
}
