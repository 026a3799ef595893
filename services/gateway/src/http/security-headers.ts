import type { RequestHandler, Response } from 'express';

/**
 * On every answer, errors and 404s included: a browser must never guess a type other than the one
 * declared, e.g. run a JSON error echoing user input as script or HTML.
 */
export const noSniff: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
};

/**
 * Headers for an HTML page: its Content-Security-Policy (which always forbids framing, so no other
 * site can overlay the page and click through it; the docs hold a bearer token) plus
 * X-Frame-Options for browsers that predate frame-ancestors.
 */
export function pageHeaders(policy: string): (res: Response) => void {
  const csp = `${policy}; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;
  return (res) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Frame-Options', 'DENY');
  };
}
