// @ts-check
// How the UI names a person. A full name is free text anyone may set, even to another user's
// username, so it is never shown without the unique @username that says who this really is.

/** "Alice Smith (@alice)", or "@alice" for someone without a full name. */
export function personLabel({ username, full_name: fullName }) {
  return fullName ? `${fullName} (@${username})` : `@${username}`;
}
