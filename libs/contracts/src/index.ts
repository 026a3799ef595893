export * from './errors';
export * from './events';
export * from './frames';
export * from './http';
export * from './limits';
export * from './models';
export * from './rpc';
export * from './subjects';
