import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const documents = ['README.md', ...readdirSync(path.join(root, 'docs')).map((f) => `docs/${f}`)];

/** Every relative link of a Markdown file: [text](target), targets without a scheme. */
const relativeLinks = (file: string) =>
  [...read(file).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));

const headingAnchors = (file: string) =>
  new Set(
    read(file)
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => line.replace(/^#+ /, '').toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')),
  );

describe('the documentation', () => {
  it.each(documents)('%s links only to files and headings inside the repository', (file) => {
    for (const link of relativeLinks(file)) {
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const resolved = target ? path.join(path.dirname(file), target) : file;
      expect({ link, inside: !path.relative(root, path.join(root, resolved)).startsWith('..') }).toEqual({ link, inside: true });
      expect({ link, exists: existsSync(path.join(root, resolved)) }).toEqual({ link, exists: true });
      if (anchor && resolved.endsWith('.md')) expect({ link, anchor: headingAnchors(resolved).has(anchor) }).toEqual({ link, anchor: true });
    }
  });

  it('keeps docs/api.md a verbatim copy of the shared contract', () => {
    const copy = read('docs/api.md').replace(/^<!--.*-->\n/, '');
    expect(copy).toMatch(/^# Pneumatic public API/);
    // The shared contract sits beside the repository in the project's workspace, not in a clone elsewhere.
    const shared = path.join(root, '..', 'shared', 'API.md');
    if (existsSync(shared)) expect(copy).toBe(readFileSync(shared, 'utf8'));
  });
});
