import { credentialCreateBody, credentialListQuery, credentialPatchBody } from '../schemas/credential-bodies';
import type { OperationDoc } from './operation-doc';
import { page } from './schemas';
import { z } from './zod';

const id = z.object({ id: z.string().uuid() });
const timestamp = z.string().datetime({ offset: true });

const credential = z
  .object({
    id: z.string().uuid(),
    name: z.string(),
    type: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
    preview: z
      .record(z.unknown())
      .nullable()
      .openapi({
        description:
          'the data with every secret field masked (`••••`, or `sk-…a1b2` for keys and tokens of 16+ characters); null when the configured keys cannot decrypt it',
        example: { api_key: 'sk-…a1b2', base_url: 'https://api.openai.com/v1', model: 'gpt-4o-mini' },
      }),
  })
  .openapi('Credential');

const inUse = 'While a flow of the owner names the credential (by id or by name, loop bodies included): 409 with `details.flows: [{id, name}]`.';

/** `/api/v1/credentials` (docs/credentials.md). */
export const credentialOperations: OperationDoc[] = [
  {
    method: 'post',
    path: '/api/v1/credentials',
    tag: 'credentials',
    summary: 'Store a credential (encrypted at rest)',
    description:
      '`data` is checked against the type (unknown fields refused: 422 naming each under `data.`). Names are unique per owner (409). ' +
      'The answer shows a masked `preview`, never the secrets.',
    body: {
      schema: credentialCreateBody,
      example: { name: 'github', type: 'http_bearer', data: { token: 'ghp_example_token_0000' } },
    },
    responses: { 201: { description: 'the credential', schema: credential } },
    errors: [409],
  },
  {
    method: 'get',
    path: '/api/v1/credentials',
    tag: 'credentials',
    summary: 'Your credentials, by name (admins: everyone’s)',
    query: credentialListQuery,
    responses: { 200: { description: 'a page of credentials', schema: page(credential, 'CredentialPage') } },
  },
  {
    method: 'get',
    path: '/api/v1/credentials/{id}',
    tag: 'credentials',
    summary: 'One credential, masked',
    params: id,
    responses: { 200: { description: 'the credential', schema: credential } },
  },
  {
    method: 'patch',
    path: '/api/v1/credentials/{id}',
    tag: 'credentials',
    summary: 'Rename a credential and/or change fields of its data',
    description:
      '`data` is merged into the stored data (a value replaces, `null` removes an optional field) and the result is checked against the type; ' +
      'the type cannot change. A rename is refused while flows name the credential by its current name (409 with `details.flows`).',
    params: id,
    body: { schema: credentialPatchBody, example: { data: { token: 'ghp_rotated_token_0000' } } },
    responses: { 200: { description: 'the credential', schema: credential } },
    errors: [409],
  },
  {
    method: 'delete',
    path: '/api/v1/credentials/{id}',
    tag: 'credentials',
    summary: 'Delete a credential',
    description: inUse,
    params: id,
    responses: { 204: { description: 'deleted' } },
    errors: [409],
  },
];
