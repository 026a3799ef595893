import { z } from 'zod';

/** Machine-readable error codes, shared by HTTP bodies, WebSocket `error` frames and RPC replies. */
export const ErrorCode = z.enum([
  'invalid_json',
  'invalid_frame',
  'validation_error',
  'unknown_type',
  'unauthorized',
  'not_a_member',
  'not_found',
  'forbidden',
  'conflict',
  'rate_limited',
  'too_large',
  'internal_error',
  'overloaded',
  'unavailable',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_json: 400,
  invalid_frame: 400,
  validation_error: 422,
  unknown_type: 400,
  unauthorized: 401,
  not_a_member: 403,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  rate_limited: 429,
  too_large: 413,
  internal_error: 500,
  overloaded: 503,
  unavailable: 503,
};

/** An expected failure a service reports to its caller; anything else is an internal error. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

/** Names the first failing field, e.g. `member_ids.0: Invalid UUID`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
