import { PassThrough } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { TurnWrites } from './turn-writes';

describe('TurnWrites', () => {
  it('holds a socket’s frames until the turn ends, then lets them out together', async () => {
    const turnWrites = new TurnWrites();
    const socket = new PassThrough();
    turnWrites.hold(socket);
    socket.write('ack');
    turnWrites.hold(socket);
    socket.write('echo');
    expect(socket.writableCorked).toBe(1);
    expect(socket.read()).toBeNull();
    await nextTurn();
    expect(socket.writableCorked).toBe(0);
    expect(String(socket.read())).toBe('ackecho');
  });

  it('leaves a destroyed socket alone', async () => {
    const turnWrites = new TurnWrites();
    const socket = new PassThrough();
    socket.destroy();
    turnWrites.hold(socket);
    expect(socket.writableCorked).toBe(0);
  });
});
