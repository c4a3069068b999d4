// `@kbisect/lab/config`: a lab's config and its parser, without the SSH side, so the service
// config (and the API through it) reads lab files without loading node-ssh.
export { LabConfigInvalid } from './errors/lab-config-invalid.js';
export {
  DEFAULT_LAB_WORK_DIR,
  type LabConfig,
  loadLabConfig,
  parseLabConfig,
} from './lab-config.js';
