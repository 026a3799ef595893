import { DomainError, describeZodError, httpStatusOf } from '@pneumatic/contracts';
import type { Logger } from '@pneumatic/platform';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { z } from 'zod';

export function sendError(res: Response, error: DomainError): void {
  const status = httpStatusOf[error.code];
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  if (status === 503 || status === 429) res.setHeader('Retry-After', '1');
  res.status(status).json({ detail: error.detail, code: error.code });
}

/** Parses a body, query or params with a contract schema; a failure is a 422 naming the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new DomainError('validation_error', describeZodError(result.error));
  return result.data;
}

export const notFound: RequestHandler = (_req, res) => sendError(res, new DomainError('not_found', 'Not Found'));

/** Maps every failure to the documented JSON error; only the unexpected is logged as an error. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof DomainError) return sendError(res, err);
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') return sendError(res, new DomainError('invalid_json', 'Malformed JSON body'));
    if (type === 'entity.too.large') return sendError(res, new DomainError('too_large', 'Request body is too large'));
    if (type?.startsWith('entity.') || type?.startsWith('charset.') || type?.startsWith('encoding.')) {
      return sendError(res, new DomainError('invalid_json', 'Unreadable request body'));
    }
    logger.error({ err, method: req.method, path: req.path }, 'request failed');
    sendError(res, new DomainError('internal_error', 'Internal server error'));
  };
}
