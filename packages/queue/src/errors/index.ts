export { ConfigInvalid } from './config-invalid.js';
export { JournalConflict } from './journal-conflict.js';
export { RedisUnreachable } from './redis-unreachable.js';
