import { type Static, Type } from 'typebox';

/**
 * How a worker runs a bisect's own code (build and oracle commands, a kernel tree's
 * Makefiles): the `sandbox` section of the service config. docs/security.md says what each
 * layer stops.
 */
export const SandboxConfig = Type.Object(
  {
    mode: Type.Enum(['auto', 'bwrap', 'none'], {
      default: 'auto',
      description:
        'bwrap: every command in bubblewrap (the worker refuses to start without a working bwrap); ' +
        'auto: bwrap when it works here, else none; none: a clean environment only',
    }),
    runAs: Type.Optional(
      Type.String({
        pattern: '^[a-z_][a-z0-9_-]{0,31}$',
        description:
          'an unprivileged user the commands run as (the worker must run as root to switch); ' +
          'worktrees and build trees are given to this user before a command runs',
      }),
    ),
    allowNetwork: Type.Boolean({
      default: true,
      description:
        'a bisect may ask for network for its commands (build.network, oracle.network); ' +
        'false refuses such a command. Without asking, a sandboxed command has no network',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type SandboxConfig = Static<typeof SandboxConfig>;

/**
 * A spec's `network` field for its build or oracle command: sandboxed commands have no network
 * unless the spec asks (docs/security.md). One shape for both, composed by their schemas.
 */
export const CommandNetwork = Type.Boolean({
  description:
    'the command may use the network (default false: in the worker sandbox it has none); ' +
    'a worker with sandbox.allowNetwork: false refuses it',
});
