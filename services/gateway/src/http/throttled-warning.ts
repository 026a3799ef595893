import type { Logger } from '@pneumatic/platform';

const warnIntervalMs = 30_000;

/** A limit whose store (Redis) is down fails open; this says so once per interval, not once per request or socket. */
export class ThrottledWarning {
  private lastAt = 0;

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
  ) {}

  warn(err: unknown): void {
    if (Date.now() - this.lastAt < warnIntervalMs) return;
    this.lastAt = Date.now();
    this.logger.warn({ err: (err as Error).message }, this.message);
  }
}
