/** A JSON request body for fetch. */
export function jsonRequest(body: unknown, method = 'POST'): RequestInit {
  return { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
}

/** Signs each user up and logs them in through the gateway at `url`: their ids and access tokens by username. */
export async function signUpUsers(url: string, usernames: string[], password = 'correct-horse') {
  const ids = new Map<string, string>();
  const tokens = new Map<string, string>();
  for (const username of usernames) {
    const signup = await fetch(`${url}/auth/signup`, jsonRequest({ username, password }));
    ids.set(username, ((await signup.json()) as { id: string }).id);
    const login = await fetch(`${url}/auth/login`, jsonRequest({ username, password }));
    tokens.set(username, ((await login.json()) as { access_token: string }).access_token);
  }
  return { ids, tokens };
}
