import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/index.js';
import { configProblems as problems } from './support/config-problems.js';

// STORAGE_* (src/config/storage.ts): defaults, and every problem reported together.

describe('storage configuration', () => {
  it('defaults: local under DATA_DIR/files, 25 MiB, 1 GiB, 300 s, a signing key derived from JWT_SECRET', () => {
    const jwt = 'j'.repeat(40);
    const a = loadConfig({ DATA_DIR: '/srv/data', JWT_SECRET: jwt }).storage;
    expect(a).toMatchObject({ provider: 'local', localDir: '/srv/data/files', maxFileBytes: 25 * 1024 * 1024, quotaBytesPerOrganization: 1024 ** 3, urlTtlSeconds: 300 });
    expect(a.allowedContentTypes.has('application/pdf')).toBe(true);
    // Stable across loads (restarts, instances) with the same JWT_SECRET, and never the JWT key itself.
    expect(Buffer.from(loadConfig({ JWT_SECRET: jwt }).storage.signingSecret)).toEqual(Buffer.from(a.signingSecret));
    expect(Buffer.from(a.signingSecret).equals(Buffer.from(jwt))).toBe(false);
    expect(Buffer.from(loadConfig({ STORAGE_SIGNING_SECRET: 's'.repeat(32) }).storage.signingSecret).toString()).toBe('s'.repeat(32));
  });

  it('lists every problem at once: provider not built, short secret, bad media type, limits, public URL', () => {
    expect(
      problems({
        STORAGE_SIGNING_SECRET: 'short',
        STORAGE_ALLOWED_CONTENT_TYPES: 'image/png, image/*',
        STORAGE_MAX_FILE_BYTES: '100',
        STORAGE_QUOTA_BYTES_PER_ORGANIZATION: '10',
        STORAGE_URL_TTL_SECONDS: '5',
        STORAGE_PUBLIC_URL: 'https://api.example.com/base',
      }),
    ).toEqual([
      'STORAGE_URL_TTL_SECONDS: must be 10 to 3600 seconds',
      expect.stringContaining('STORAGE_SIGNING_SECRET is too short'),
      expect.stringContaining('STORAGE_ALLOWED_CONTENT_TYPES: "image/*" is not a lower-case media type'),
      expect.stringContaining('STORAGE_MAX_FILE_BYTES (100) is larger than STORAGE_QUOTA_BYTES_PER_ORGANIZATION (10)'),
      expect.stringContaining('STORAGE_PUBLIC_URL: must be an origin'),
    ]);
    expect(problems({ STORAGE_PROVIDER: 'ftp' })).toEqual(['STORAGE_PROVIDER: must be local, aws_s3 or azure']);
    // A provider's variables with another provider chosen: the files would silently go elsewhere.
    expect(problems({ STORAGE_AZURE_CONTAINER: 'files', STORAGE_AZURE_ACCOUNT_NAME: 'acme' })).toEqual([
      'STORAGE_AZURE_CONTAINER, STORAGE_AZURE_ACCOUNT_NAME apply only with STORAGE_PROVIDER=azure (now local): unset them or choose azure.',
    ]);
    expect(problems({ STORAGE_PROVIDER: 'aws_s3', STORAGE_S3_BUCKET: 'files', STORAGE_S3_REGION: 'eu-west-1', STORAGE_AZURE_CONTAINER: 'files' })).toEqual([
      'STORAGE_AZURE_CONTAINER apply only with STORAGE_PROVIDER=azure (now aws_s3): unset them or choose azure.',
    ]);
    expect(problems({ STORAGE_MAX_FILE_BYTES: String(2 ** 31) })).toEqual(['STORAGE_MAX_FILE_BYTES: must be a whole number of bytes, 1 to 2147483647']);
  });
});
