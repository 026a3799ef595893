export * from './context';
export * from './infrastructure';
export * from './processes';
export * from './socket';
export * from './wait';
export * from './http';
export * from './kafka-mock';
export * from './kafka-container';
