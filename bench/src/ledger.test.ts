import { DeliveryLedger } from './ledger';

describe('delivery ledger', () => {
  it('counts deliveries per socket, flagging duplicates and losses', () => {
    const ledger = new DeliveryLedger();
    ledger.recordSent('m1', 2);
    ledger.recordSent('m2', 2);
    expect(ledger.recordDelivered('m1', 1)).toBe(true);
    expect(ledger.recordDelivered('m1', 2)).toBe(true);
    expect(ledger.recordDelivered('m1', 2)).toBe(false);
    ledger.recordDelivered('m2', 1);
    expect(ledger.outstanding()).toBe(1);
    expect(ledger.totals()).toMatchObject({ sent: 2, expected: 4, delivered: 3, lost: 1, duplicated: 1 });
  });

  it('expects nothing for a send the server refused with a documented error', () => {
    const ledger = new DeliveryLedger();
    ledger.recordSent('m1', 3);
    ledger.recordRejected('m1', 'overloaded');
    expect(ledger.totals()).toMatchObject({ sent: 1, expected: 0, lost: 0, rejected: { overloaded: 1 } });
  });
});
