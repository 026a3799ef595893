import { canonicalUsername, type User } from '@pneumatic/contracts';
import type { Database } from '@pneumatic/platform';

export interface NewUser {
  id: string;
  username: string;
  fullName: string | null;
  passwordHash: string;
}

interface UserRow {
  id: string;
  username: string;
  full_name: string | null;
}

const userOf = (row: UserRow): User => ({ id: row.id, username: row.username, full_name: row.full_name });

/** Every lookup by name goes through this expression, so it hits the unique index. */
const lowerName = `(lower(username) COLLATE "C")`;

/** Accounts in the auth schema. The password hash leaves this store only for verification. */
export class UserStore {
  constructor(private readonly db: Database) {}

  /** By canonical name (`canonicalUsername`), like every lookup by name here. */
  async isTaken(canonical: string): Promise<boolean> {
    const { rowCount } = await this.db.query(`SELECT 1 FROM users WHERE ${lowerName} = $1`, [canonical]);
    return (rowCount ?? 0) > 0;
  }

  /** The new user, or null when the name is taken (the unique index decides, so races are safe). */
  async insert(user: NewUser): Promise<User | null> {
    const { rows } = await this.db.query<UserRow>(
      `INSERT INTO users (id, username, full_name, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING id, username, full_name`,
      [user.id, user.username, user.fullName, user.passwordHash],
    );
    return rows[0] ? userOf(rows[0]) : null;
  }

  async findCredentials(canonical: string): Promise<{ user: User; passwordHash: string } | null> {
    const { rows } = await this.db.query<UserRow & { password_hash: string }>(
      `SELECT id, username, full_name, password_hash FROM users WHERE ${lowerName} = $1`,
      [canonical],
    );
    const row = rows[0];
    return row ? { user: userOf(row), passwordHash: row.password_hash } : null;
  }

  async replacePasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [userId, passwordHash]);
  }

  async get(userId: string): Promise<User | null> {
    const { rows } = await this.db.query<UserRow>('SELECT id, username, full_name FROM users WHERE id = $1', [userId]);
    return rows[0] ? userOf(rows[0]) : null;
  }

  async lookup(userIds: string[]): Promise<User[]> {
    if (userIds.length === 0) return [];
    const { rows } = await this.db.query<UserRow>('SELECT id, username, full_name FROM users WHERE id = ANY($1::uuid[])', [
      userIds,
    ]);
    return rows.map(userOf);
  }

  /** The users with these names, whatever their case; unknown and invalid names are simply absent. */
  async resolve(usernames: string[]): Promise<User[]> {
    const canonical = [...new Set(usernames.map(canonicalUsername).filter((name) => name !== null))];
    if (canonical.length === 0) return [];
    const { rows } = await this.db.query<UserRow>(
      `SELECT id, username, full_name FROM users WHERE ${lowerName} = ANY($1::text[])`,
      [canonical],
    );
    return rows.map(userOf);
  }

  /** Users whose lower-case name matches `pattern` and sorts after `after`, in name order, but `exceptId`. */
  async list(pattern: string, after: string | null, limit: number, exceptId: string | null = null): Promise<User[]> {
    const { rows } = await this.db.query<UserRow>(
      `SELECT id, username, full_name FROM users
       WHERE ${lowerName} LIKE $1 AND ($2::text IS NULL OR ${lowerName} > $2) AND ($4::uuid IS NULL OR id <> $4)
       ORDER BY ${lowerName} LIMIT $3`,
      [pattern, after, limit, exceptId],
    );
    return rows.map(userOf);
  }
}
