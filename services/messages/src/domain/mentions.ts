import { limits } from '@pneumatic/contracts';

const mention = /(?:^|[^a-zA-Z0-9_.@-])@([a-zA-Z0-9_.-]+)/g;
const maxMentions = 100;

/**
 * The usernames written as `@username` in a message, lower-cased and distinct. A name that ends
 * in sentence punctuation (`@bob.`) is also offered without it, since usernames may contain dots.
 */
export function mentionedUsernames(content: string): string[] {
  const names = new Set<string>();
  for (const [, raw] of content.matchAll(mention)) {
    for (const name of [raw!, raw!.replace(/[.-]+$/, '')]) {
      if (name.length >= limits.usernameMinChars && name.length <= limits.usernameMaxChars) names.add(name.toLowerCase());
    }
    if (names.size >= maxMentions) break;
  }
  return [...names].slice(0, maxMentions);
}
