/** Gives back a turn taken from `Turns`; a second call does nothing. */
export type Release = () => void;

interface Line {
  running: number;
  waiting: (() => void)[];
}

/**
 * Turns per key (a client address), in this process: at most `concurrent` under way at once and
 * `maxWaiting` waiting, first come first served; past that a turn is refused at once. A key is
 * dropped when its last turn ends, so there are never more lines than turns under way or waiting.
 */
export class Turns {
  private readonly lines = new Map<string, Line>();

  constructor(
    private readonly concurrent: number,
    private readonly maxWaiting: number,
  ) {}

  /**
   * Resolves with the release of `key`'s turn once it is its turn, or null at once when its line is
   * full. A turn still waiting when `abandoned` resolves leaves the line and resolves null.
   */
  async take(key: string, abandoned: Promise<void>): Promise<Release | null> {
    const line = this.lines.get(key) ?? this.open(key);
    if (line.running < this.concurrent) {
      line.running++;
      return this.releaseOf(key, line);
    }
    if (line.waiting.length >= this.maxWaiting) return null;
    const turn = await new Promise<boolean>((resolve) => {
      const ready = () => resolve(true);
      line.waiting.push(ready);
      void abandoned.then(() => {
        const at = line.waiting.indexOf(ready);
        if (at === -1) return;
        line.waiting.splice(at, 1);
        resolve(false);
      });
    });
    return turn ? this.releaseOf(key, line) : null;
  }

  get keys(): number {
    return this.lines.size;
  }

  private open(key: string): Line {
    const line: Line = { running: 0, waiting: [] };
    this.lines.set(key, line);
    return line;
  }

  private releaseOf(key: string, line: Line): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The turn passes straight to the next waiter, so `running` never undercounts.
      const next = line.waiting.shift();
      if (next) return next();
      line.running--;
      if (line.running === 0) this.lines.delete(key);
    };
  }
}
