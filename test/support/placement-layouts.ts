/**
 * The ways the isolation tests lay organizations out: all in one database, and spread over
 * dedicated placements (createOrg puts each next organization on the next placement in turn, so
 * with `['acme']` A is on acme and B on the shared database; with `['acme', 'beta']` each has a
 * placement of its own). The same assertions must hold for every layout (issue 10).
 */
export const PLACEMENT_LAYOUTS = [
  { layout: 'one database', placements: [] as string[] },
  { layout: 'A on a dedicated placement, B on the shared one', placements: ['acme'] },
] as const;

/** Both organizations on dedicated placements, each its own. */
export const SEPARATE_PLACEMENTS = { layout: 'A and B each on a dedicated placement', placements: ['acme', 'beta'] } as const;
