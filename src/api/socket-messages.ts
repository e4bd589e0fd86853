import type { RawData } from 'ws';

/** What a client may send on a live event socket (seed 003). */
export type ClientRequest = { type: 'ping' | 'request_state'; id?: string | number };

/** A client message that could not be understood: answered with an `error` message. */
export interface ClientMessageError {
  error: { code: 'BAD_REQUEST'; message: string };
  id?: string | number;
}

/** The largest client message a socket reads; a larger frame closes the socket with 1009. */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

const KNOWN = new Set(['ping', 'request_state']);

/** A client's `id`, echoed on the answer when it is a short string or a finite number. */
function idOf(value: unknown): string | number | undefined {
  if (typeof value === 'string' && value.length <= 200) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

/**
 * Reads one client message: `{"type": "ping"}` or `{"type": "request_state"}` (an optional `id`
 * is echoed on the answer). Anything else — binary frames, text that is not JSON, JSON that is not
 * an object with a string `type`, unknown types — is an error to answer, never a reason to close.
 */
export function parseClientMessage(data: RawData, isBinary: boolean): ClientRequest | ClientMessageError {
  const bad = (message: string, id?: string | number): ClientMessageError => ({
    error: { code: 'BAD_REQUEST', message },
    ...(id !== undefined ? { id } : {}),
  });
  if (isBinary) return bad('send JSON text messages, not binary ones');
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return bad('message is not valid JSON; send {"type": "ping"} or {"type": "request_state"}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return bad('message must be a JSON object with a "type"');
  const msg = parsed as Record<string, unknown>;
  const id = idOf(msg.id);
  if (typeof msg.type !== 'string') return bad('message needs a string "type": "ping" or "request_state"', id);
  if (!KNOWN.has(msg.type)) {
    return bad(`unknown message type "${msg.type.slice(0, 64)}"; send "ping" or "request_state"`, id);
  }
  return { type: msg.type as ClientRequest['type'], ...(id !== undefined ? { id } : {}) };
}
