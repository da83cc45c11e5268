import { z } from 'zod';

/** The four-line scope document every adapter states up front. */
export const ScopeDocument = z
  .object({
    /** Which system wins when seam's copy and the legacy system disagree. */
    systemOfRecord: z.string().min(1),
    /** What agents may read. */
    readScope: z.string().min(1),
    /** What agents may change (by proposal). Default: none. */
    writeScope: z.string().min(1).default('none'),
    /** The human paged when something goes wrong. */
    escalation: z.string().min(1),
  })
  .meta({ id: 'ScopeDocument' });
export type ScopeDocument = z.infer<typeof ScopeDocument>;
