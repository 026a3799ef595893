import { MemberDirectory } from './member-directory';

describe('member directory', () => {
  it('follows member events for cached conversations only', () => {
    const directory = new MemberDirectory();
    directory.set('c1', ['alice']);
    directory.update('c1', 'bob', 'added');
    directory.update('c2', 'bob', 'added');
    expect(directory.membersOf('c1').sort()).toEqual(['alice', 'bob']);
    expect(directory.has('c2')).toBe(false);
    directory.update('c1', 'alice', 'removed');
    expect(directory.isMember('c1', 'alice')).toBe(false);
  });

  it('is bounded', () => {
    const directory = new MemberDirectory(2);
    directory.set('c1', []);
    directory.set('c2', []);
    directory.set('c3', []);
    expect([directory.has('c1'), directory.has('c2'), directory.has('c3')]).toEqual([false, true, true]);
  });
});
