import { type Static, Type } from 'typebox';
import type { KernelBuildSpec } from './kernel-build-spec.js';

/**
 * A kernel build as a user asks for it: `build.kernel` of a bisect, a watch or a recipe. A
 * .config path or a make config target with fragments, a timeout in seconds; the builder's
 * own make variables are refused here, at submission, not when a worker starts the build.
 * `kernelBuildSpecOf` turns it into the builder's input, KernelBuildSpec.
 */

export const KernelBuildRequest = Type.Object(
  {
    config: Type.Union(
      [
        Type.String({ minLength: 1, maxLength: 4096, description: 'a .config file' }),
        Type.Object(
          {
            defconfig: Type.String({
              pattern: '^[A-Za-z0-9_.-]{1,128}$',
              description: 'a make config target: defconfig, tinyconfig, x86_64_defconfig',
            }),
            fragments: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 32 }),
            ),
          },
          { additionalProperties: false },
        ),
      ],
      {
        description:
          'a .config file, or a make config target plus fragments; paths on the build host',
      },
    ),
    targets: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 16 }),
    ),
    arch: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    makeVars: Type.Optional(
      Type.Record(
        // The builder's own variables are refused here, not when a worker starts the build:
        // a user value would break the build cache or the proof of the booted release.
        Type.String({
          pattern: '^(?!(?:O|ARCH|CC|CROSS_COMPILE|LOCALVERSION)$)[A-Za-z_][A-Za-z0-9_]{0,63}$',
        }),
        Type.String({ maxLength: 4096 }),
        {
          maxProperties: 32,
          additionalProperties: false,
          description:
            'extra make variables, e.g. {"KCFLAGS": "-Wno-error"}; O, ARCH, CC, ' +
            'CROSS_COMPILE and LOCALVERSION belong to the builder',
        },
      ),
    ),
    cc: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description: 'the compiler, e.g. clang or gcc-12 (default gcc, ccache in front)',
      }),
    ),
    crossCompile: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        pattern: '^[A-Za-z0-9_./+-]+$',
        description: 'the cross toolchain prefix, e.g. aarch64-linux-gnu-',
      }),
    ),
    // No `default` keyword: inside the bisect spec's build union Ajv would ignore it; the
    // default is applied by kernelBuildSpecOf and named in the description.
    timeoutSeconds: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 7 * 24 * 3600,
        description: 'a longer kernel build is killed and skipped (default 3600)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type KernelBuildRequest = Static<typeof KernelBuildRequest>;

/** The builder's input for a request; `defaultTimeoutSeconds` when the request names none. */
export function kernelBuildSpecOf(
  request: KernelBuildRequest,
  defaultTimeoutSeconds: number,
): KernelBuildSpec {
  const { config, arch, targets, makeVars, cc, crossCompile, timeoutSeconds } = request;
  return {
    config:
      typeof config === 'string'
        ? { kind: 'file', path: config }
        : {
            kind: 'defconfig',
            target: config.defconfig,
            ...(config.fragments ? { fragments: config.fragments } : {}),
          },
    ...(arch ? { arch } : {}),
    ...(targets ? { targets } : {}),
    ...(makeVars ? { makeVars } : {}),
    ...(cc ? { cc } : {}),
    ...(crossCompile ? { crossCompile } : {}),
    timeoutMs: 1000 * (timeoutSeconds ?? defaultTimeoutSeconds),
  };
}
