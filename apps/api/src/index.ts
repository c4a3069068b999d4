export { type BuildAppOptions, buildApp } from './app.js';
export type { ApiContext } from './context.js';
export { EventHub } from './events/event-hub.js';
export {
  type OpenApi,
  openApi,
  type RunningApi,
  type StartApiOptions,
  startApi,
} from './start-api.js';
