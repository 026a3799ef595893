import { canonicalUsername } from './limits';

describe('canonicalUsername', () => {
  it('is the lower case of a valid name', () => {
    expect(canonicalUsername('Ada.L')).toBe('ada.l');
    expect(canonicalUsername('bob_99-x')).toBe('bob_99-x');
    expect(canonicalUsername('abc')).toBe('abc');
    expect(canonicalUsername('a'.repeat(32))).toBe('a'.repeat(32));
  });

  it('is null for any name outside ASCII [a-zA-Z0-9_.-] 3..32, so no lookup or limit key is made of it', () => {
    // JavaScript lower-cases U+0130 to "i\u0307", Postgres to "i": one account under two limit keys.
    expect(canonicalUsername('sİiiuser')).toBeNull();
    expect(canonicalUsername('K\u212Aelvin')).toBeNull(); // Kelvin sign, lower-cased to "k"
    expect(canonicalUsername('ab')).toBeNull();
    expect(canonicalUsername('a'.repeat(33))).toBeNull();
    expect(canonicalUsername('alice ')).toBeNull();
    expect(canonicalUsername('al ice')).toBeNull();
    expect(canonicalUsername('alice\n')).toBeNull();
  });

  it('maps names differing only in ASCII case to one form', () => {
    expect(canonicalUsername('ALICE')).toBe(canonicalUsername('alice'));
  });
});
