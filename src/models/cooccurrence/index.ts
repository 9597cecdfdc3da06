export * from './config.js';
export * from './cooccurrence.js';
