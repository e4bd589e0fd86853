import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Adds `.openapi()` to zod's prototypes (every schema, also those made before this ran) once.
extendZodWithOpenApi(z);

/** zod with `.openapi()` metadata, for the API's documentation schemas. */
export { z };
