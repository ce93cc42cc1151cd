import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { configProblems } from './support/config-problems.js';
import { operationsConfig } from '../src/config/operations.js';

// TRUSTED_DOCUMENTS and METRICS_PORT (src/config/operations.ts): defaults, the accepted values,
// and the problems reported with every other configuration problem.

const problems = configProblems;

describe('TRUSTED_DOCUMENTS', () => {
  it('is allow by default (blank too), in development and production', () => {
    expect(loadConfig({}).trustedDocuments).toBe('allow');
    expect(loadConfig({ TRUSTED_DOCUMENTS: ' ' }).trustedDocuments).toBe('allow');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).trustedDocuments).toBe('allow');
  });

  it('takes only and allow, and refuses anything else, saying what it takes', () => {
    expect(loadConfig({ TRUSTED_DOCUMENTS: 'only' }).trustedDocuments).toBe('only');
    expect(loadConfig({ TRUSTED_DOCUMENTS: 'allow' }).trustedDocuments).toBe('allow');
    for (const value of ['ONLY', 'true', 'strict', 'only,allow']) expect(problems({ TRUSTED_DOCUMENTS: value })).toEqual(['TRUSTED_DOCUMENTS: must be allow or only']);
  });
});

describe('TRUSTED_DOCUMENTS=only and the playground', () => {
  it('PLAYGROUND_ENABLED=true with only is a configuration problem: the playground could run nothing', () => {
    const found: string[] = [];
    operationsConfig({ TRUSTED_DOCUMENTS: 'only', PLAYGROUND_ENABLED: true }, found);
    expect(found).toEqual([expect.stringContaining('PLAYGROUND_ENABLED=true and TRUSTED_DOCUMENTS=only contradict each other')]);
    for (const env of [{ TRUSTED_DOCUMENTS: 'allow', PLAYGROUND_ENABLED: true }, { TRUSTED_DOCUMENTS: 'only', PLAYGROUND_ENABLED: false }, { TRUSTED_DOCUMENTS: 'only' }] as const) {
      const none: string[] = [];
      operationsConfig(env, none);
      expect(none, JSON.stringify(env)).toEqual([]);
    }
  });
});

describe('METRICS_PORT', () => {
  it('is off unless set, in every mode', () => {
    expect(loadConfig({}).metrics.port).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '' }).metrics.port).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).metrics.port).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics.port).toBe(9464);
  });

  it('refuses what is not a port, and the API port itself (metrics never share the public listener)', () => {
    for (const value of ['0', '65536', '-1', '9464.5', 'metrics']) expect(problems({ METRICS_PORT: value }), value).toEqual([expect.stringMatching(/^METRICS_PORT: /)]);
    expect(problems({ PORT: '4000', METRICS_PORT: '4000' })).toEqual([expect.stringContaining('METRICS_PORT must differ from PORT (4000)')]);
    expect(problems({ METRICS_PORT: '4000' })).toEqual([expect.stringContaining('METRICS_PORT must differ from PORT (4000)')]);
  });

  it('is reported with the other problems in one pass', () => {
    expect(problems({ METRICS_PORT: 'x', TRUSTED_DOCUMENTS: 'maybe', PORT: 'y' })).toHaveLength(3);
  });
});
