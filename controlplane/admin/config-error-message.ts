// A config problem as the Admin API sends it (golbctl prints `formatted`).
import type { ConfigError as ConfigErrorMessage } from '../../proto/gen/golb/v1/ConfigError.js';
import { formatConfigError, type ConfigError } from '../config/errors.js';

export function errorMessage(e: ConfigError): ConfigErrorMessage {
  return { file: e.file, line: e.line, col: e.col, message: e.severity === 'warning' ? `warning: ${e.message}` : e.message, formatted: formatConfigError(e) };
}
