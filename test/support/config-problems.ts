import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/** The problems loadConfig reports for `env` (one ConfigError listing them all); fails the test when it accepts `env`. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}
