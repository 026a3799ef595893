import { fullNameOf, passwordViolation } from './registration';

const none = new Set<string>();

describe('registration rules', () => {
  it('rejects a password shorter than the configured minimum, naming the field', () => {
    expect(passwordViolation('pass123', 8, none)).toBe('password: must be at least 8 characters');
  });

  it('accepts a password at the minimum', () => {
    expect(passwordViolation('pass1234', 8, none)).toBeNull();
    expect(passwordViolation('pass123', 6, none)).toBeNull();
  });

  it('counts characters, not UTF-16 code units', () => {
    expect(passwordViolation('🔑🔑🔑', 4, none)).not.toBeNull();
    expect(passwordViolation('🔑🔑🔑🔑', 4, none)).toBeNull();
  });

  it('refuses a password on the list whatever its case, with a reason naming the field', () => {
    const common = new Set(['password123']);
    expect(passwordViolation('Password123', 8, common)).toBe('password: is one of the most common passwords; choose another');
    expect(passwordViolation('password1234', 8, common)).toBeNull();
  });

  it('treats a missing or blank full name as none', () => {
    expect(fullNameOf(undefined)).toBeNull();
    expect(fullNameOf(null)).toBeNull();
    expect(fullNameOf('   ')).toBeNull();
    expect(fullNameOf(' Ada Lovelace ')).toBe('Ada Lovelace');
  });
});
