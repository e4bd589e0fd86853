/** A streaming client for server-sent events, for tests. */

/** One event as the client received it. */
export interface SseEvent {
  id: string;
  event: string;
  data: any;
  /** When the client received it (ms since the epoch). */
  receivedAt: number;
}

/** Opens `url` as an event stream; `next` waits for an event, `close` disconnects. */
export async function openStream(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  const done = (async () => {
    if (!res.ok || !res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(value, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) continue;
            const i = line.indexOf(':');
            fields[line.slice(0, i)] = line.slice(i + 1).trim();
          }
          if (fields.event)
            events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data), receivedAt: Date.now() });
          waiters.splice(0).forEach((w) => w());
        }
      }
    } catch {
      // aborted by the test
    } finally {
      ended = true;
      waiters.splice(0).forEach((w) => w());
    }
  })();
  /** Resolves with the first event of `type` (optionally matching `pred`), waiting for it if needed. */
  const next = async (
    type: string,
    pred: (e: SseEvent) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<SseEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.find((e) => e.event === type && pred(e));
      if (found) return found;
      if (ended) throw new Error(`stream ended without ${type}: ${events.map((e) => e.event).join(',')}`);
      if (Date.now() > deadline)
        throw new Error(`no ${type} within ${timeoutMs} ms: ${events.map((e) => e.event).join(',')}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { res, events, next, done, ended: () => ended, close: () => abort.abort() };
}

/** An open stream. */
export type Stream = Awaited<ReturnType<typeof openStream>>;
