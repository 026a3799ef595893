/**
 * Signup rules the contract leaves to this service: the minimum password length and the list of
 * refused common passwords are deployment settings, so they are checked here rather than in the
 * shared schema. Common passwords are compared in lower case: `Password123` is as guessable.
 */
export function passwordViolation(password: string, minLength: number, common: ReadonlySet<string>): string | null {
  // Counted in code points, so an emoji is one character as a person would count it.
  const length = [...password].length;
  if (length < minLength) return `password: must be at least ${minLength} characters`;
  if (common.has(password.toLowerCase())) return 'password: is one of the most common passwords; choose another';
  return null;
}

/** A blank full name means none was given. */
export const fullNameOf = (fullName: string | null | undefined): string | null => {
  const trimmed = fullName?.trim();
  return trimmed ? trimmed : null;
};
