import { processStat } from './process-stat';

describe('processStat', () => {
  it("reads this process's parent, CPU time and resident memory from /proc", () => {
    const stat = processStat(process.pid)!;
    expect(stat.ppid).toBe(process.ppid);
    expect(stat.cpuMs).toBeGreaterThan(0);
    const rss = process.memoryUsage().rss;
    expect(stat.rssBytes).toBeGreaterThan(rss / 2);
    expect(stat.rssBytes).toBeLessThan(rss * 2);
  });

  it('answers undefined for a process that does not exist', () => {
    expect(processStat(2 ** 30)).toBeUndefined();
  });
});
