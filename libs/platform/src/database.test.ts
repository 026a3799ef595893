import { isDatabaseUnreachable } from './database';

describe('isDatabaseUnreachable', () => {
  it('recognises what node-postgres reports while Postgres is down, stopping or starting', () => {
    const failures = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('the database system is shutting down'), { code: '57P03' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
    ];
    for (const err of failures) expect({ message: err.message, unreachable: isDatabaseUnreachable(err) }).toEqual({ message: err.message, unreachable: true });
  });

  it('leaves errors of the query itself alone', () => {
    const failures = [
      Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
      Object.assign(new Error('stream version conflict'), { code: '40001' }),
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
      new Error('something else'),
      undefined,
    ];
    for (const err of failures) expect(isDatabaseUnreachable(err)).toBe(false);
  });
});
