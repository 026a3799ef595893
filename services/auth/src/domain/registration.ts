/**
 * Signup rules the contract leaves to this service: the minimum password length is a deployment
 * setting (PASSWORD_MIN_LENGTH), so it is checked here rather than in the shared schema.
 */
export function passwordViolation(password: string, minLength: number): string | null {
  // Counted in code points, so an emoji is one character as a person would count it.
  const length = [...password].length;
  return length < minLength ? `password: must be at least ${minLength} characters` : null;
}

/** A blank full name means none was given. */
export const fullNameOf = (fullName: string | null | undefined): string | null => {
  const trimmed = fullName?.trim();
  return trimmed ? trimmed : null;
};
