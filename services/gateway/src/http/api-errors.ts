import { DomainError, describeZodError, httpStatusOf } from '@pneumatic/contracts';
import type { Logger } from '@pneumatic/platform';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { z } from 'zod';

function sendError(res: Response, error: DomainError): void {
  const status = httpStatusOf[error.code];
  res.locals.errorCode = error.code;
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

interface ParserFailure {
  type?: string;
  status?: number;
  errno?: number;
}

/**
 * The client's own faults that reach the handler from express's body parsers and router (not from
 * our routes): each is a documented 4xx. Anything else, or a parser failure of its own (500), is ours.
 */
function clientFault(err: unknown): DomainError | undefined {
  const { type, status, errno } = err as ParserFailure;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  // The router decodes path parameters with decodeURIComponent: `%zz`, `%E0%A4%A` or a lone surrogate's bytes.
  if (err instanceof URIError) return new DomainError('not_found', 'Malformed percent-escape in the path');
  if (status === 413) return new DomainError('too_large', 'Request body is too large');
  if (type === 'entity.parse.failed') return new DomainError('invalid_json', 'Malformed JSON body');
  if (type === 'encoding.unsupported') return new DomainError('invalid_json', 'Unsupported Content-Encoding (use gzip, deflate, br or none)');
  if (type === 'charset.unsupported') return new DomainError('invalid_json', 'Unsupported charset (bodies are UTF-8)');
  // zlib and brotli stream errors carry an errno; the parser passes them on as a 400.
  if (typeof errno === 'number') return new DomainError('invalid_json', 'Corrupt or truncated compressed body (Content-Encoding)');
  return new DomainError('invalid_json', 'Unreadable request body');
}

/** Maps every failure to the documented JSON error; only the unexpected is logged as an error. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof DomainError) return sendError(res, err);
    const fault = clientFault(err);
    if (fault) return sendError(res, fault);
    logger.error({ err, method: req.method, path: req.path }, 'request failed');
    sendError(res, new DomainError('internal_error', 'Internal server error'));
  };
}
