/**
 * The project's one error type. Every failure caused by bad input (a file that cannot be read, a
 * parameter out of range, a model bundle that does not match) is a SerError with a stable `code`,
 * and, where a file is involved, the file's name. The CLI prints `message` alone (no stack trace
 * unless --verbose) and exits non-zero.
 */
export type SerErrorCode =
  | 'ENOENT' // missing file
  | 'EISDIR' // a directory where a file was expected
  | 'EEMPTY' // empty file or zero-length audio
  | 'ETRUNC' // truncated / malformed container
  | 'EFORMAT' // unrecognised format or corrupt data
  | 'ECODEC' // recognised container, unsupported codec
  | 'ENONFINITE' // NaN or Inf samples
  | 'ERATE' // sample rate 0 or absurd
  | 'EPARAM' // invalid parameter
  | 'EMODEL' // model bundle missing, corrupt or mismatched
  | 'EDATA' // dataset problem
  | 'EIO'; // other I/O failure

export class SerError extends Error {
  readonly code: SerErrorCode;
  readonly file?: string;
  constructor(code: SerErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file !== undefined ? `${options.file}: ${message}` : message, { cause: options.cause });
    this.name = 'SerError';
    this.code = code;
    this.file = options.file;
  }
}

/** Throws SerError('EPARAM') unless `cond` holds. */
export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new SerError('EPARAM', message);
}
