/** Errors of the HTTP layer (no tfjs import, so the app module stays light). */

/** A request's audio exceeds the duration limit (HTTP 422, code EDURATION). */
export class DurationError extends Error {
  readonly code = 'EDURATION';
  constructor(message: string) {
    super(message);
    this.name = 'DurationError';
  }
}

/** An error with a chosen HTTP status and API code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

