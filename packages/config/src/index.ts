export { ARTIFACT_DEFAULTS, ArtifactConfig } from './artifact-config.js';
export { ConfigInvalid } from './errors/config-invalid.js';
export { ENV_OVERRIDES, type LoadConfigOptions, loadConfig } from './load-config.js';
export { Repositories, type RepositoryRules, repositoryRules } from './repositories.js';
export {
  ApiToken,
  GIT_TRANSPORTS,
  type GitTransport,
  Recipe,
  ServiceConfig,
} from './service-config.js';
export { labProblems, loadServiceLabs, type ServiceLabs } from './service-labs.js';
