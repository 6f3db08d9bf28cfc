export * from './errors';
export * from './models';
export * from './events';
export * from './schema';
export * from './event-catalogue';
export * from './webhooks';
