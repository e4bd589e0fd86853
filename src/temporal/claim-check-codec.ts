import { createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { PayloadBlob } from '../storage';

/** `encoding` of a payload that stands for a stored one. */
export const CLAIM_CHECK_ENCODING = 'binary/claim-check';
/**
 * Payloads larger than this are stored in the database and replaced in workflow history by a
 * reference. Temporal refuses a single payload over 2 MB and a history over 50 MB; 128 KB keeps
 * every history small whatever the nodes return.
 */
export const DEFAULT_OFFLOAD_BYTES = 128 * 1024;

/** Where the codec keeps payloads (the `payload_blobs` table in the platform). */
export interface PayloadStore {
  put(blob: PayloadBlob): Promise<void>;
  get(sha256: string): Promise<PayloadBlob | undefined>;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function metadataToJson(metadata: Payload['metadata']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) if (v) out[k] = Buffer.from(v).toString('base64');
  return out;
}

function metadataFromJson(json: Record<string, string>): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(json)) out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return out;
}

/** The reference a claim-check payload carries. */
interface ClaimCheck {
  sha256: string;
  size: number;
}

/**
 * A payload codec (the "claim check" pattern): every payload over `thresholdBytes` — a node's
 * output, an activity's input, the run's result, a query answer — is written to `store` under
 * the SHA-256 of its metadata and bytes, and history carries `{"sha256", "size"}` with encoding
 * `binary/claim-check` instead. Decoding fetches it back. Client and worker must both use it.
 * Smaller payloads pass through untouched, so histories without large values look as before.
 */
export class ClaimCheckCodec implements PayloadCodec {
  constructor(
    private readonly store: PayloadStore,
    private readonly thresholdBytes = DEFAULT_OFFLOAD_BYTES,
  ) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.encodeOne(p)));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.decodeOne(p)));
  }

  private async encodeOne(payload: Payload): Promise<Payload> {
    const data = payload.data;
    if (!data || data.byteLength <= this.thresholdBytes) return payload;
    const metadata = metadataToJson(payload.metadata);
    const sha256 = createHash('sha256').update(JSON.stringify(metadata)).update(data).digest('hex');
    await this.store.put({ sha256, metadata, data });
    const check: ClaimCheck = { sha256, size: data.byteLength };
    return { metadata: { encoding: utf8.encode(CLAIM_CHECK_ENCODING) }, data: utf8.encode(JSON.stringify(check)) };
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    const encoding = payload.metadata?.encoding;
    if (!encoding || fromUtf8.decode(encoding) !== CLAIM_CHECK_ENCODING) return payload;
    const check = JSON.parse(fromUtf8.decode(payload.data ?? new Uint8Array())) as ClaimCheck;
    const blob = await this.store.get(check.sha256);
    // In a worker this fails the workflow task, which Temporal retries; the run itself goes on
    // once the payload is readable again (e.g. a database failover).
    if (!blob) throw new Error(`stored payload ${check.sha256} (${check.size} bytes) not found`);
    return { metadata: metadataFromJson(blob.metadata), data: blob.data };
  }
}
