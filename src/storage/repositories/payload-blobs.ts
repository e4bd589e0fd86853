import { type Knex } from 'knex';
import { nowIso } from '../time';

/** A payload's bytes and metadata, as the claim-check codec stores them. */
export interface PayloadBlob {
  sha256: string;
  /** Metadata values, base64. */
  metadata: Record<string, string>;
  data: Uint8Array;
}

/** Content-addressed payload storage. */
export interface PayloadBlobRepo {
  /** Stores `blob`, or marks the stored blob with its hash as used now (its bytes are not rewritten). */
  put(blob: PayloadBlob): Promise<void>;
  get(sha256: string): Promise<PayloadBlob | undefined>;
  /** Deletes the blobs last used before `cutoff` (ISO time); returns how many. */
  deleteUnusedBefore(cutoff: string): Promise<number>;
}

/** The payload blob repository over `db`. */
export function createPayloadBlobRepo(db: Knex): PayloadBlobRepo {
  return {
    async put(blob) {
      const now = nowIso();
      await db('payload_blobs')
        .insert({
          sha256: blob.sha256,
          metadata: JSON.stringify(blob.metadata),
          data: Buffer.from(blob.data.buffer, blob.data.byteOffset, blob.data.byteLength),
          size: blob.data.byteLength,
          created_at: now,
          last_used_at: now,
        })
        .onConflict('sha256')
        .merge({ last_used_at: now });
    },

    async deleteUnusedBefore(cutoff) {
      return db('payload_blobs').where('last_used_at', '<', cutoff).delete();
    },

    async get(sha256) {
      const r = await db('payload_blobs').select('sha256', 'metadata', 'data').where({ sha256 }).first();
      if (!r) return undefined;
      return { sha256: r.sha256, metadata: JSON.parse(r.metadata) as Record<string, string>, data: new Uint8Array(r.data as Buffer) };
    },
  };
}
