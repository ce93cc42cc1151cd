import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { configProblems } from './support/config-problems.js';

const problemsOf = configProblems;

describe('placement configuration', () => {
  it('has one placement, shared, and bounded defaults without any variable', () => {
    expect(loadConfig({}).placements).toEqual({ urls: {}, defaultPlacement: 'shared', cacheTtlMs: 5000, totalPoolMax: 100, poolIdleMs: 60000 });
  });

  it('names a dedicated placement after its variable, lower-cased, and takes the URL as given', () => {
    const config = loadConfig({
      PLACEMENT_ACME_URL: 'postgresql://u:p@acme-db:5432/tenantql',
      PLACEMENT_BIG_CO_URL: 'postgres://big/co',
      PLACEMENT_EMPTY_URL: ' ',
      DEFAULT_PLACEMENT: 'ACME',
    });
    expect(config.placements.urls).toEqual({ acme: 'postgresql://u:p@acme-db:5432/tenantql', big_co: 'postgres://big/co' });
    expect(config.placements.defaultPlacement).toBe('acme');
  });

  it('lists every problem together: reserved or invalid names, non-postgres URLs, a bad default, a total cap below one pool', () => {
    const problems = problemsOf({
      PLACEMENT_SHARED_URL: 'postgresql://x/y',
      'PLACEMENT_BAD-NAME_URL': 'postgresql://x/y',
      PLACEMENT_9LIVES_URL: 'postgresql://x/y',
      PLACEMENT_HTTP_URL: 'https://example.test/db',
      DEFAULT_PLACEMENT: 'no spaces',
      DB_POOL_MAX: '20',
      DB_POOL_TOTAL_MAX: '10',
      PLACEMENT_CACHE_TTL_MS: 'soon',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PLACEMENT_SHARED_URL: the shared placement is DATABASE_URL/),
        expect.stringMatching(/^PLACEMENT_BAD-NAME_URL: a placement name must match/),
        expect.stringMatching(/^PLACEMENT_9LIVES_URL: a placement name must match/),
        'PLACEMENT_HTTP_URL: must be a postgres:// or postgresql:// URL',
        expect.stringMatching(/^DEFAULT_PLACEMENT: must be shared or a placement name/),
        expect.stringMatching(/^DB_POOL_TOTAL_MAX \(10\) must be at least DB_POOL_MAX \(20\)/),
        expect.stringMatching(/^PLACEMENT_CACHE_TTL_MS: /),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('refuses dedicated placements in single-tenant mode: one instance, one database', () => {
    const problems = problemsOf({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: '6f1c2c1e-5a8e-4f57-9a52-3c1a6e0b9d11', JWT_SECRET: 'x'.repeat(40), PLACEMENT_ACME_URL: 'postgresql://x/y' });
    expect(problems).toEqual([expect.stringMatching(/only applies to DEPLOYMENT_MODE=multi_tenant/)]);
  });
});
