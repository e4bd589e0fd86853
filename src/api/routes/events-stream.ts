import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { RunService } from '../../services/run-service';
import type { LiveEvent } from '../../services/run-events';
import { actorOf } from '../actor';
import { type LiveConnectionLimit, tooManyLiveConnections } from '../live-connection-limit';

/** A comment line every so often keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 15_000;

/** One server-sent event: `id` (the stream cursor), `event` (the type) and the event as JSON `data`. */
export function formatSse(e: LiveEvent): string {
  const { cursor, ...event } = e;
  return `id: ${cursor}\nevent: ${e.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * `GET /executions/{id}/events/stream`: the run's live events as server-sent events. Ownership is
 * checked before the stream opens (404 as JSON); the stream ends after the terminal event, and
 * reading stops as soon as the client goes away. Every event's `id` is a cursor: a client that
 * reconnects with `Last-Event-ID` gets every event after it and nothing twice. With `live`, a user
 * who already holds all their live connections gets 429 instead.
 */
export function createEventStreamHandler(
  runs: RunService,
  runId: (id: unknown) => string,
  logger: Logger,
  live?: LiveConnectionLimit,
): RequestHandler {
  return async (req, res) => {
    if (live) {
      const release = live.acquire(req.principal!.user.id);
      if (!release) throw tooManyLiveConnections(live.max);
      // Closes however the request ends: stream finished, client gone, or an error answer.
      res.once('close', release);
    }
    const watch = await runs.openWatch(actorOf(req), runId(req.params.id));
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const abort = new AbortController();
    // `res` (not `req`) closes when the client disconnects: `req` closes once its body is read.
    res.on('close', () => abort.abort());
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    try {
      await watch((e) => res.write(formatSse(e)), abort.signal, req.get('Last-Event-ID') ?? undefined);
    } catch (err) {
      logger.warn({ err, req_id: req.id }, 'live event stream failed');
      if (!abort.signal.aborted) {
        res.write(
          `event: error\ndata: ${JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: 'live event stream failed' } })}\n\n`,
        );
      }
    } finally {
      clearInterval(keepAlive);
      res.end();
    }
  };
}
