// Shared by the config tests: parse text and get the Config, or every problem formatted.
import assert from 'node:assert/strict';
import { formatConfigError } from '../../../controlplane/config/errors.js';
import { parseConfig } from '../../../controlplane/config/load-config.js';
import type { Config } from '../../../controlplane/config/model.js';

/** Parses text that must be valid; fails the test with every error otherwise. */
export function parseOk(text: string, env: Record<string, string> = {}): Config {
  const r = parseConfig(text, 'test.conf', { env });
  assert.ok(r.ok, `expected no errors, got:\n${r.ok ? '' : r.errors.map(formatConfigError).join('\n')}`);
  return r.config;
}

/** Formatted errors of text that must be invalid. */
export function errorsOf(text: string, env: Record<string, string> = {}): string[] {
  const r = parseConfig(text, 'test.conf', { env });
  assert.equal(r.ok, false, 'expected errors, the config was accepted');
  return r.ok ? [] : r.errors.map(formatConfigError);
}

/** Formatted warnings (the config may or may not be valid). */
export function warningsOf(text: string): string[] {
  return parseConfig(text, 'test.conf', { env: {} }).warnings.map(formatConfigError);
}

/** One backend line so a test text is otherwise valid. */
export const ONE_BACKEND = 'backend http://127.0.0.1:8001\n';
