import { dbOperationOf } from './timed-pg-client';

describe('dbOperationOf', () => {
  it('labels statements with a bounded set of operations', () => {
    expect(dbOperationOf('SELECT 1')).toBe('select');
    expect(dbOperationOf('  insert into t values (1)')).toBe('insert');
    expect(dbOperationOf('\n  WITH v AS (SELECT 1) SELECT * FROM v')).toBe('with');
    expect(dbOperationOf('COMMIT')).toBe('commit');
    expect(dbOperationOf('BEGIN; SET LOCAL synchronous_commit = off')).toBe('begin');
    expect(dbOperationOf('SET search_path TO x')).toBe('other');
    expect(dbOperationOf('')).toBe('other');
  });
});
