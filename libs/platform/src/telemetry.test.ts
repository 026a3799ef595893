import { dbOperationOf } from './telemetry';

describe('dbOperationOf', () => {
  it('labels pg spans with a bounded set of operations', () => {
    expect(dbOperationOf('pg.query:SELECT pneumatic')).toBe('select');
    expect(dbOperationOf('pg.query:INSERT')).toBe('insert');
    expect(dbOperationOf('pg.query:COMMIT pneumatic')).toBe('commit');
    expect(dbOperationOf('pg.query:my_prepared_statement pneumatic')).toBe('other');
    expect(dbOperationOf('pg.query')).toBe('other');
    expect(dbOperationOf('pg-pool.connect')).toBe('connect');
    expect(dbOperationOf('pg.connect')).toBe('connect');
  });

  it('ignores spans that are not Postgres round trips', () => {
    expect(dbOperationOf('messages.send')).toBeUndefined();
    expect(dbOperationOf('GET')).toBeUndefined();
  });
});
