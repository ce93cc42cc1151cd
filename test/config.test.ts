import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/index.js';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const ORG = '6f1c2c1e-5a8e-4f57-9a52-3c1a6e0b9d11';

/** The ConfigError loadConfig throws for `env`; fails the test when it does not throw one. */
function problemsOf(env: Record<string, string | undefined>): { error: ConfigError; problems: string[] } {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const error = err as ConfigError;
    // The message carries every problem, so an operator sees them all in the log.
    for (const p of error.problems) expect(error.message).toContain(p);
    return { error, problems: error.problems };
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has safe defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('multi_tenant');
    expect(config.nodeEnv).toBe('development');
    expect(config.isProduction).toBe(false);
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(4000);
    expect(config.defaultOrganizationId).toBeUndefined();
    expect(config.database.url).toBeUndefined(); // embedded PostgreSQL
    expect(config.jwt).toMatchObject({ issuer: 'tenantql', audience: 'tenantql-api', ttlSeconds: 3600, generatedSecret: true });
    expect(config.jwt.secret.byteLength).toBeGreaterThanOrEqual(32);
    expect(config.jwks).toBeUndefined();
    // A generated secret is random per process, never a fixed default.
    expect(Buffer.from(loadConfig({}).jwt.secret).equals(Buffer.from(config.jwt.secret))).toBe(false);
  });

  it('uses a configured secret as given', () => {
    const config = loadConfig({ JWT_SECRET: SECRET, NODE_ENV: 'production' });
    expect(new TextDecoder().decode(config.jwt.secret)).toBe(SECRET);
    expect(config.jwt.generatedSecret).toBe(false);
    expect(config.isProduction).toBe(true);
  });

  it('refuses multi_tenant with ENFORCE_TENANT_ISOLATION=false and says why', () => {
    const { problems } = problemsOf({ DEPLOYMENT_MODE: 'multi_tenant', ENFORCE_TENANT_ISOLATION: 'false', JWT_SECRET: SECRET });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/ENFORCE_TENANT_ISOLATION=false is refused in multi_tenant mode/);
    expect(problems[0]).toMatch(/every organization's data/);
    expect(problems[0]).toMatch(/single_tenant/);
    // The same switch in single-tenant mode is allowed (nothing to isolate).
    expect(loadConfig({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: ORG, ENFORCE_TENANT_ISOLATION: 'false', JWT_SECRET: SECRET }).mode).toBe('single_tenant');
  });

  it('requires DEFAULT_ORGANIZATION_ID in single_tenant mode, as a UUID', () => {
    const { problems } = problemsOf({ DEPLOYMENT_MODE: 'single_tenant', JWT_SECRET: SECRET });
    expect(problems).toEqual([expect.stringMatching(/DEFAULT_ORGANIZATION_ID is required when DEPLOYMENT_MODE=single_tenant/)]);
    expect(problemsOf({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: 'acme', JWT_SECRET: SECRET }).problems).toEqual([
      expect.stringMatching(/^DEFAULT_ORGANIZATION_ID: must be a UUID/),
    ]);
    expect(loadConfig({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: ORG, JWT_SECRET: SECRET }).defaultOrganizationId).toBe(ORG);
  });

  it('ignores DEFAULT_ORGANIZATION_ID in multi_tenant mode', () => {
    expect(loadConfig({ DEFAULT_ORGANIZATION_ID: ORG }).defaultOrganizationId).toBeUndefined();
  });

  it('refuses a JWT_SECRET shorter than 32 bytes, in any environment', () => {
    for (const NODE_ENV of ['development', 'test', 'production']) {
      const { problems } = problemsOf({ NODE_ENV, JWT_SECRET: 'x'.repeat(31) });
      expect(problems).toEqual([expect.stringMatching(/JWT_SECRET/)]);
    }
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).jwt.secret.byteLength).toBe(32);
  });

  it('refuses production without JWT_SECRET (blank counts as missing)', () => {
    for (const JWT_SECRET of [undefined, '', '   ']) {
      const { problems } = problemsOf({ NODE_ENV: 'production', JWT_SECRET });
      expect(problems).toEqual([expect.stringMatching(/JWT_SECRET must be set .* in production/)]);
    }
  });

  it('lists several invalid values at once', () => {
    const { problems } = problemsOf({ PORT: 'eighty', DATABASE_URL: 'mysql://db/app', LOG_LEVEL: 'loud', DEPLOYMENT_MODE: 'both' });
    expect(problems.length).toBeGreaterThanOrEqual(4);
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'DEPLOYMENT_MODE']) {
      expect(problems.some((p) => p.startsWith(`${name}:`)), `a problem names ${name}`).toBe(true);
    }
  });

  it('lists invalid values and rule violations together, in one pass', () => {
    // A bad PORT must not hide that the secret is too short and isolation is switched off.
    const { problems } = problemsOf({ PORT: 'eighty', JWT_SECRET: 'short', ENFORCE_TENANT_ISOLATION: 'false' });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^PORT:/),
        expect.stringMatching(/JWT_SECRET is too short/),
        expect.stringMatching(/ENFORCE_TENANT_ISOLATION=false is refused/),
      ]),
    );
  });

  it('in single_tenant mode CUSTOMER_DATABASE_URL wins over DATABASE_URL', () => {
    const config = loadConfig({
      DEPLOYMENT_MODE: 'single_tenant',
      DEFAULT_ORGANIZATION_ID: ORG,
      JWT_SECRET: SECRET,
      DATABASE_URL: 'postgresql://shared/app',
      CUSTOMER_DATABASE_URL: 'postgres://customer/app',
    });
    expect(config.database.url).toBe('postgres://customer/app');
    expect(loadConfig({ DEPLOYMENT_MODE: 'single_tenant', DEFAULT_ORGANIZATION_ID: ORG, JWT_SECRET: SECRET, DATABASE_URL: 'postgresql://shared/app' }).database.url).toBe(
      'postgresql://shared/app',
    );
    // In multi_tenant mode it is a mistake, not silently ignored.
    expect(problemsOf({ CUSTOMER_DATABASE_URL: 'postgres://customer/app' }).problems).toEqual([expect.stringMatching(/CUSTOMER_DATABASE_URL only applies/)]);
  });

  it('refuses a bad PORT', () => {
    for (const PORT of ['abc', '70000', '-1', '80.5']) {
      expect(problemsOf({ PORT }).problems, `PORT=${PORT}`).toEqual([expect.stringMatching(/^PORT:/)]);
    }
    expect(loadConfig({ PORT: '8080' }).port).toBe(8080);
  });

  it('refuses a DATABASE_URL that is not a postgres URL', () => {
    for (const DATABASE_URL of ['mysql://db/app', 'db.example.com:5432/app', 'postgres://']) {
      expect(problemsOf({ DATABASE_URL }).problems, DATABASE_URL).toEqual([expect.stringMatching(/^DATABASE_URL: must be a postgres/)]);
    }
    expect(loadConfig({ DATABASE_URL: '' }).database.url).toBeUndefined();
  });
});

describe('the entry point', () => {
  it('exits with code 1 and the reason when multi_tenant runs with ENFORCE_TENANT_ISOLATION=false', async () => {
    const child = spawn('node_modules/.bin/tsx', ['src/main.ts'], {
      cwd: new URL('..', import.meta.url),
      // Only what the process needs: no DATABASE_URL, so reaching the database would hang or fail differently.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DEPLOYMENT_MODE: 'multi_tenant', ENFORCE_TENANT_ISOLATION: 'false', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);

    expect(code, `stdout: ${stdout}\nstderr: ${stderr}`).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('ENFORCE_TENANT_ISOLATION=false is refused in multi_tenant mode');
    expect(stdout).not.toMatch(/ready/);
  });
});
