/**
 * The query of `GET /workflows/{id}/export`: which version, in which format. A format that is not
 * listed is refused with 400 naming the ones that are, never answered in another format.
 */
import { z } from 'zod';

/** The formats an export can be written in; `json` is the portable document `POST /workflows/import` reads. */
export const EXPORT_FORMATS = ['json', 'typescript'] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const exportQuery = z.object({
  version: z.coerce.number().int().min(1).max(2_147_483_647).optional().describe('the version to export (default the head)'),
  format: z
    .enum(EXPORT_FORMATS, { errorMap: () => ({ message: `unsupported format; supported formats: ${EXPORT_FORMATS.join(', ')}` }) })
    .default('json')
    .describe(`one of ${EXPORT_FORMATS.join(', ')} (default json)`),
});
