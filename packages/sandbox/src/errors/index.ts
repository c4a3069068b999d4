export { NetworkNotAllowed } from './network-not-allowed.js';
export { SandboxUnavailable } from './sandbox-unavailable.js';
