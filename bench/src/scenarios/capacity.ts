import os from 'node:os';
import { cpuBetween, readUsage, type AccountingScope } from '../cpu-accounting';
import { closeAll, populate, type Room } from '../population';
import { noLossCheck, type ScenarioContext, type ScenarioResult } from '../scenario';
import { round } from '../stats';
import { sendInTurn } from './closed-loop';
import { offerLoad } from './open-loop';

export interface CapacityOptions {
  scope: AccountingScope;
  /** Two offered rates (messages/s, pairs) whose CPU costs give each component's cost per message. */
  calibrationRates: [number, number];
  users: number;
}

/** CPU seconds per wall second, per component, while `work` runs; and what `work` returned. */
async function cpuDuring<T>(scope: AccountingScope, work: () => Promise<{ seconds: number } & T>): Promise<{ cores: Map<string, number>; result: T & { seconds: number } }> {
  const before = readUsage(scope);
  const result = await work();
  const used = cpuBetween(before, readUsage(scope));
  return { cores: new Map([...used].map(([c, s]) => [c, s / result.seconds])), result };
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const ms = (seconds: number) => round(seconds * 1000, 3);

/**
 * The capacity model of docs/capacity.md, measured and checked on the stack in front of it. Each
 * component's CPU (services, the Postgres backends and writers of the stack's database, NATS, Redis
 * and the load generator, from /proc) is read at two offered rates; the machine's total, as a line
 * through the two points, predicts the rate at which its cores run out, and the closed loop, which
 * sends as fast as replies come, measures it. A fan-out phase at the lower rate prices a delivery (a
 * connection's memory is the idle scenario's).
 */
export async function capacity(ctx: ScenarioContext, options: CapacityOptions): Promise<ScenarioResult> {
  const { scope, calibrationRates, users } = options;
  const cores = os.cpus().length;
  let rooms: Room[] = await populate(ctx.target, 'cap', users / 2, 2);
  let fanoutRooms: Room[] = [];
  try {
    await offerLoad(ctx.warmupSeconds, rooms, calibrationRates[0], 'capacity warm-up');
    const points = [];
    for (const rate of calibrationRates) {
      const { cores: used, result } = await cpuDuring(scope, () => offerLoad(ctx.durationSeconds, rooms, rate, `capacity at ${rate}/s`));
      points.push({ perSecond: result.traffic.ledger.totals().acknowledged / result.seconds, used, totals: result.traffic.ledger.totals() });
    }
    const [low, high] = points as [(typeof points)[0], (typeof points)[0]];
    const components = [...high.used.keys()].sort();
    // The whole machine's cores against the rate, as a line through the two points, reaches the
    // cores there are at the predicted rate. Per component the line is not straight (batches grow
    // with the rate, so some processes cost less per message at the higher one): each is reported
    // as its cores at both rates and its CPU per message at the higher.
    const [usedLow, usedHigh] = [sum(low.used.values()), sum(high.used.values())];
    const marginal = (usedHigh - usedLow) / (high.perSecond - low.perSecond);
    const predictedPerSecond = high.perSecond + (cores - usedHigh) / marginal;

    const closed = await cpuDuring(scope, () => sendInTurn(rooms, ctx.durationSeconds, 'capacity, closed loop'));
    const closedTotals = closed.result.traffic.ledger.totals();
    const measuredPerSecond = closedTotals.acknowledged / closed.result.seconds;
    const busyCores = sum(closed.cores.values());
    closeAll(rooms);
    rooms = [];

    // Fan-out: the same message rate into rooms of 10 instead of pairs (five times the deliveries);
    // the gateways' extra CPU is the extra deliveries'.
    fanoutRooms = await populate(ctx.target, 'capf', 10, 10);
    const fan = await cpuDuring(scope, () => offerLoad(ctx.durationSeconds, fanoutRooms, calibrationRates[0], 'capacity, fan-out'));
    const fanTotals = fan.result.traffic.ledger.totals();
    const extraDeliveries = fanTotals.delivered / fan.result.seconds - low.totals.delivered / (low.totals.acknowledged / low.perSecond);
    const perDelivery = ((fan.cores.get('gateway') ?? 0) - (low.used.get('gateway') ?? 0)) / extraDeliveries;
    closeAll(fanoutRooms);
    fanoutRooms = [];

    const error = (measuredPerSecond - predictedPerSecond) / predictedPerSecond;
    const figures: Record<string, number | string> = {
      cores,
      predictedMessagesPerSecond: round(predictedPerSecond, 0),
      measuredMessagesPerSecond: round(measuredPerSecond, 0),
      closedLoopBusyCores: round(busyCores, 2),
      [`cores at ${round(low.perSecond, 0)}/s`]: round(usedLow, 2),
      [`cores at ${round(high.perSecond, 0)}/s`]: round(usedHigh, 2),
      marginalCpuMsPerMessage: ms(marginal),
      cpuMsPerMessageAtHigherRate: ms(usedHigh / high.perSecond),
      gatewayCpuMsPerExtraDelivery: ms(perDelivery),
    };
    for (const c of components) {
      figures[`${c}: cores at the two rates`] = `${round(low.used.get(c) ?? 0, 3)} / ${round(high.used.get(c) ?? 0, 3)}`;
      figures[`${c}: ms per message at the higher`] = ms((high.used.get(c) ?? 0) / high.perSecond);
      figures[`${c}: cores in closed loop`] = round(closed.cores.get(c) ?? 0, 3);
    }
    return {
      name: 'capacity model',
      parameters: {
        gateways: ctx.target.gateways.length,
        calibrationRates: calibrationRates.join(' and '),
        users,
        seconds: ctx.durationSeconds,
      },
      figures,
      totals: closedTotals,
      checks: [
        { what: 'closed loop vs predicted msg/s', target: 'within 30 %', actual: `${round(error * 100, 1)} %`, pass: Math.abs(error) <= 0.3 },
        ...noLossCheck(low.totals, ' at the lower rate'),
        ...noLossCheck(high.totals, ' at the higher rate'),
        ...noLossCheck(closedTotals, ' in the closed loop'),
        ...noLossCheck(fanTotals, ' in fan-out'),
      ],
    };
  } finally {
    closeAll(rooms);
    closeAll(fanoutRooms);
  }
}
