import { fullNameOf, passwordViolation } from './registration';

describe('registration rules', () => {
  it('rejects a password shorter than the configured minimum, naming the field', () => {
    expect(passwordViolation('pass123', 8)).toBe('password: must be at least 8 characters');
  });

  it('accepts a password at the minimum', () => {
    expect(passwordViolation('pass1234', 8)).toBeNull();
    expect(passwordViolation('pass123', 6)).toBeNull();
  });

  it('counts characters, not UTF-16 code units', () => {
    expect(passwordViolation('🔑🔑🔑', 4)).not.toBeNull();
    expect(passwordViolation('🔑🔑🔑🔑', 4)).toBeNull();
  });

  it('treats a missing or blank full name as none', () => {
    expect(fullNameOf(undefined)).toBeNull();
    expect(fullNameOf(null)).toBeNull();
    expect(fullNameOf('   ')).toBeNull();
    expect(fullNameOf(' Ada Lovelace ')).toBe('Ada Lovelace');
  });
});
