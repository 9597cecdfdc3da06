/**
 * One error family for the whole product. Callers branch on `code`, never on message text.
 * `file` / `line` / `field` are set wherever the error comes from reading user data, so a
 * shop owner can go straight to the bad row.
 */
export const ERROR_CODES = [
  'BAD_INPUT', // a data file or argument does not match what was expected
  'BAD_CONFIG', // a config value is out of range or of the wrong type
  'BUNDLE_INVALID', // manifest missing / malformed / unknown format version
  'BUNDLE_INTEGRITY', // a bundle file's sha256 does not match the manifest
  'UNKNOWN_KIND', // a model/encoder kind that no loader is registered for
  'BACKEND_UNAVAILABLE', // no requested compute backend could be initialised
  'DEVICE_LOST', // the GPU device was lost; the runtime fell back
  'HISTORY_UNAVAILABLE', // IndexedDB could not be opened
  'DISPOSED', // a method was called after dispose()
  'NOT_FOUND', // an id that is not in the item table
  'IO', // a file could not be read or written
] as const;
export type MolarErrorCode = (typeof ERROR_CODES)[number];

export interface MolarErrorDetails {
  file?: string;
  line?: number;
  field?: string;
  cause?: unknown;
}

export class MolarError extends Error {
  readonly code: MolarErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly field?: string;

  constructor(code: MolarErrorCode, message: string, details: MolarErrorDetails = {}) {
    const where = [details.file, details.line !== undefined ? `line ${details.line}` : undefined, details.field ? `field "${details.field}"` : undefined]
      .filter(Boolean)
      .join(', ');
    super(where ? `${where}: ${message}` : message, details.cause !== undefined ? { cause: details.cause } : undefined);
    // keep instanceof working after downlevelling, as tfjs-layers does for its errors
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'MolarError';
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.field = details.field;
  }
}

export function isMolarError(e: unknown, code?: MolarErrorCode): e is MolarError {
  return e instanceof MolarError && (code === undefined || e.code === code);
}
