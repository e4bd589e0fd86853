/**
 * Request bodies and queries of the credential routes (`/credentials`), as zod schemas: the routes
 * parse with them and the OpenAPI document shows them. Each type's `data` is checked by the service
 * against `src/nodes/credential-types.ts`.
 */
import { z } from 'zod';
import { CREDENTIAL_TYPE_NAMES } from '../../services/credentials/credential-data';

const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .describe('unique among your credentials; what nodes name in `credential` (or they use the id). Not a UUID, no `{{ }}`');

const data = z
  .record(z.unknown())
  .refine((d) => Object.keys(d).length <= 50, 'at most 50 fields')
  .describe("the type's fields (docs/credentials.md); secret fields are never shown again, only masked in `preview`");

/** `POST /credentials`. */
export const credentialCreateBody = z
  .object({ name, type: z.enum(CREDENTIAL_TYPE_NAMES).describe('the credential type'), data })
  .strict();

/** `PATCH /credentials/{id}`: a new name and/or data fields merged into the stored ones (`null` removes one). */
export const credentialPatchBody = z
  .object({
    name: name.optional(),
    data: data
      .optional()
      .describe('fields to change, merged into the stored data (a value replaces, `null` removes an optional field); the result must fit the type'),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.data !== undefined, 'give name and/or data');

/** `GET /credentials`. */
export const credentialListQuery = z.object({
  skip: z.coerce.number().int().min(0).max(1_000_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  type: z.enum(CREDENTIAL_TYPE_NAMES).optional(),
});
