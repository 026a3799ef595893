import { mentionedUsernames } from './mentions';

describe('mentions in content', () => {
  it('finds @usernames, lower-cased and distinct', () => {
    expect(mentionedUsernames('hi @Bob and @carol_1, and @bob again')).toEqual(['bob', 'carol_1']);
  });

  it('also offers a name without trailing sentence punctuation', () => {
    expect(mentionedUsernames('thanks @dave.')).toEqual(['dave.', 'dave']);
  });

  it('ignores e-mail addresses, too-short names and bare @', () => {
    expect(mentionedUsernames('mail bob@example.com or @ab or @ alone')).toEqual([]);
  });
});
