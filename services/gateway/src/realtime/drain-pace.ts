/**
 * How a draining gateway spreads its 1012 closes: every client reconnects somewhere else and syncs
 * each of its conversations, so closing thousands of sockets at once sends the other gateways (and
 * the messages service behind them) a storm they answer late. Closes go out at a steady pace
 * instead, raised when needed so the last one still goes out within the drain window.
 */
export interface DrainSettings {
  closesPerSecond: number;
  /** The last close goes out within this long of the drain starting. */
  windowMs: number;
}

export interface DrainPace {
  /** Sockets closed together... */
  batch: number;
  /** ...this often. */
  intervalMs: number;
}

/** Batches this far apart at the fastest: timers cost nothing noticeable and the pace still looks even. */
const shortestIntervalMs = 50;

export function drainPace(sockets: number, { closesPerSecond, windowMs }: DrainSettings): DrainPace {
  const perSecond = Math.max(closesPerSecond, (sockets * 1000) / windowMs);
  const batch = Math.max(1, Math.ceil((perSecond * shortestIntervalMs) / 1000));
  return { batch, intervalMs: (batch * 1000) / perSecond };
}
