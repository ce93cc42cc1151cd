import { z } from 'zod';
import { isPlacementName, PLACEMENT_NAME, SHARED_PLACEMENT } from '../tenancy/placement/placement-name.js';

// Hybrid deployment (issue 10): which databases hold tenant data and how requests reach them.
// Spread into envSchema (env-schema.ts); `.env.example` documents each variable. The dedicated
// placements themselves are the variables PLACEMENT_<NAME>_URL, read by `placementUrls` below.

const blankAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const placementEnvSchema = {
  /** Where sign-up places new organizations: `shared` or a dedicated placement's name. */
  DEFAULT_PLACEMENT: z.preprocess(blankAsUndefined, z.string().default(SHARED_PLACEMENT)),
  /** How long (ms) an instance trusts its cached directory entry; a switch is seen within this bound (and at once when fenced). */
  PLACEMENT_CACHE_TTL_MS: z.preprocess(blankAsUndefined, z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(0).max(600_000).default(5_000)),
  /** Connections across every placement's pool together (each pool is at most DB_POOL_MAX). */
  DB_POOL_TOTAL_MAX: z.preprocess(blankAsUndefined, z.coerce.number({ message: 'must be a number of connections' }).int().min(1).max(2_000).default(100)),
  /** A dedicated placement's pool unused this long (ms) is closed; the shared one never is. */
  PLACEMENT_POOL_IDLE_MS: z.preprocess(blankAsUndefined, z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(1_000).max(86_400_000).default(60_000)),
};

type PlacementEnv = { [K in keyof typeof placementEnvSchema]?: z.infer<(typeof placementEnvSchema)[K]> } & {
  DB_POOL_MAX?: number;
  DEPLOYMENT_MODE?: string;
};

export interface PlacementConfig {
  /** Dedicated placements configured by PLACEMENT_<NAME>_URL: name (lower case) -> URL. `shared` is DATABASE_URL or the embedded default. */
  urls: Record<string, string>;
  /** Where sign-up places new organizations. */
  defaultPlacement: string;
  /** Routing cache lifetime, ms. */
  cacheTtlMs: number;
  /** Connections across all pools. */
  totalPoolMax: number;
  /** Idle time (ms) after which a dedicated placement's pool is closed. */
  poolIdleMs: number;
}

const PLACEMENT_VARIABLE = /^PLACEMENT_(.+)_URL$/;
const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;

/**
 * PLACEMENT_<NAME>_URL variables: `PLACEMENT_ACME_URL=postgresql://...` names placement `acme`.
 * Blank values count as unset. Problems go to `problems`: a name outside PLACEMENT_NAME, the
 * reserved name `shared`, a value that is not a postgres URL.
 */
export function placementUrls(env: Record<string, string | undefined>, problems: string[]): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = PLACEMENT_VARIABLE.exec(key);
    if (!match || value === undefined || value.trim() === '') continue;
    const name = match[1]!.toLowerCase();
    if (name === SHARED_PLACEMENT) problems.push(`${key}: the shared placement is DATABASE_URL (or the embedded default); name dedicated placements otherwise.`);
    else if (!isPlacementName(name)) problems.push(`${key}: a placement name must match ${PLACEMENT_NAME} once lower-cased (letters, digits, _; at most 31).`);
    else if (!POSTGRES_URL.test(value.trim())) problems.push(`${key}: must be a postgres:// or postgresql:// URL`);
    else urls[name] = value.trim();
  }
  return urls;
}

/**
 * The placement settings, or problems added to `problems`. Single-tenant mode has exactly one
 * placement (the customer's database): dedicated placements are refused there. DEFAULT_PLACEMENT
 * must be `shared`, a configured placement, or (embedded default only) a name that
 * `npm run tenant -- placements create` may make: that is checked at start, once the embedded
 * server's placements are known.
 */
export function placementConfig(env: Record<string, string | undefined>, e: PlacementEnv, problems: string[]): PlacementConfig {
  const urls = placementUrls(env, problems);
  if (e.DEPLOYMENT_MODE === 'single_tenant' && Object.keys(urls).length > 0) {
    problems.push(`PLACEMENT_<NAME>_URL (${Object.keys(urls).join(', ')}) only applies to DEPLOYMENT_MODE=multi_tenant: a single-tenant instance has one database.`);
  }
  const defaultPlacement = (e.DEFAULT_PLACEMENT ?? SHARED_PLACEMENT).toLowerCase();
  if (!isPlacementName(defaultPlacement)) problems.push(`DEFAULT_PLACEMENT: must be shared or a placement name (${PLACEMENT_NAME}).`);
  const poolMax = e.DB_POOL_MAX ?? 10;
  const totalPoolMax = e.DB_POOL_TOTAL_MAX ?? 100;
  if (totalPoolMax < poolMax) problems.push(`DB_POOL_TOTAL_MAX (${totalPoolMax}) must be at least DB_POOL_MAX (${poolMax}): it caps all placements' pools together.`);
  return {
    urls,
    defaultPlacement,
    cacheTtlMs: e.PLACEMENT_CACHE_TTL_MS ?? 5_000,
    totalPoolMax,
    poolIdleMs: e.PLACEMENT_POOL_IDLE_MS ?? 60_000,
  };
}
