import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Static, Type } from 'typebox';
import { KernelSpecInvalid } from './errors/kernel-spec-invalid.js';

/** Whether the compiler is fronted by ccache: a build command's CC and CXX, a kernel's CC. */
export const CcacheMode = Type.Union(
  [Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')],
  {
    description: 'auto (default): use ccache when it is installed',
  },
);
export type CcacheMode = Static<typeof CcacheMode>;

/** Where the kernel configuration of every build comes from. */
export const KernelConfigSource = Type.Union([
  // A complete .config, brought up to each commit's Kconfig with `make olddefconfig`.
  Type.Object({ kind: Type.Literal('file'), path: Type.String() }, { additionalProperties: false }),
  // A make config target (`defconfig`, `tinyconfig`, `x86_64_defconfig`), then fragments.
  Type.Object(
    {
      kind: Type.Literal('defconfig'),
      target: Type.String(),
      fragments: Type.Optional(Type.Array(Type.String())),
    },
    { additionalProperties: false },
  ),
]);
export type KernelConfigSource = Static<typeof KernelConfigSource>;

/**
 * How to build the kernel of every commit of one bisect: what KernelBuilder takes, and the
 * `kernel` of a build job as it crosses Redis. The one shape of a kernel build: a user's
 * request (KernelBuildRequest) becomes this with `kernelBuildSpecOf`.
 */
export const KernelBuildSpec = Type.Object(
  {
    config: KernelConfigSource,
    arch: Type.Optional(
      Type.String({ description: 'the make ARCH (x86_64, arm64, ...); default x86_64' }),
    ),
    targets: Type.Optional(
      Type.Array(Type.String(), {
        description:
          "make targets; default ['bzImage']; add modules to install them with the image",
      }),
    ),
    makeVars: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'extra NAME=value make variables, e.g. { KCFLAGS: "-Wno-error" }',
      }),
    ),
    cc: Type.Optional(
      Type.String({
        description: 'the compiler; default gcc (with ccache in front when installed)',
      }),
    ),
    crossCompile: Type.Optional(
      Type.String({ description: 'the cross toolchain prefix, e.g. aarch64-linux-gnu-' }),
    ),
    ccache: Type.Optional(CcacheMode),
    jobs: Type.Optional(Type.Integer({ minimum: 1, description: 'make -j; default the CPUs' })),
    timeoutMs: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'the whole build (configure + compile) is killed after this; default 60 min',
      }),
    ),
  },
  { additionalProperties: false },
);
export type KernelBuildSpec = Static<typeof KernelBuildSpec>;

/** The spec with every default filled in. */
export type ResolvedKernelBuildSpec = Required<Omit<KernelBuildSpec, 'crossCompile'>> & {
  crossCompile: string;
};

const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
const MAKE_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
// These belong to the builder: a user value would break caching or the release check.
const RESERVED_VARS = new Set(['O', 'ARCH', 'CC', 'CROSS_COMPILE', 'LOCALVERSION']);

export function resolveKernelBuildSpec(
  spec: KernelBuildSpec,
  cpus: number,
): ResolvedKernelBuildSpec {
  const fail = (reason: string): never => {
    throw new KernelSpecInvalid(reason);
  };
  if (spec.config.kind === 'file' && !spec.config.path) fail('config.path is empty');
  if (spec.config.kind === 'defconfig' && !/^[A-Za-z0-9_.-]+$/.test(spec.config.target)) {
    fail(`config.target ${JSON.stringify(spec.config.target)} is not a make config target`);
  }
  const arch = spec.arch ?? 'x86_64';
  if (!/^[a-z0-9_]+$/.test(arch)) fail(`arch ${JSON.stringify(arch)} is not a kernel ARCH`);
  const targets = spec.targets ?? ['bzImage'];
  if (targets.length === 0) fail('targets is empty');
  for (const target of targets) {
    if (!/^[A-Za-z0-9_./-]+$/.test(target) || target.startsWith('-')) {
      fail(`target ${JSON.stringify(target)} is not a make target`);
    }
  }
  const makeVars = spec.makeVars ?? {};
  for (const name of Object.keys(makeVars)) {
    if (!MAKE_VAR.test(name)) fail(`make variable ${JSON.stringify(name)} is not a name`);
    if (RESERVED_VARS.has(name)) fail(`make variable ${name} is set by the builder; use the spec`);
  }
  const jobs = spec.jobs ?? cpus;
  if (!Number.isSafeInteger(jobs) || jobs < 1) fail(`jobs must be a positive integer: ${jobs}`);
  const timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) fail(`timeoutMs must be positive: ${timeoutMs}`);
  return {
    config: spec.config,
    arch,
    targets,
    makeVars,
    cc: spec.cc ?? `${spec.crossCompile ?? ''}gcc`,
    crossCompile: spec.crossCompile ?? '',
    ccache: spec.ccache ?? 'auto',
    jobs,
    timeoutMs,
  };
}

/**
 * A hash of everything in the spec that changes the built kernel: the config's content
 * (not its path), arch, targets and make variables. Jobs, timeout and ccache do not change
 * the result and are left out, so they can be tuned without losing the cache.
 */
export async function configHash(spec: ResolvedKernelBuildSpec): Promise<string> {
  const hash = createHash('sha256');
  const field = (name: string, value: string) => hash.update(`${name}\0${value}\0`);
  if (spec.config.kind === 'file') {
    field('config-file', await readFile(spec.config.path, 'utf8'));
  } else {
    field('defconfig', spec.config.target);
    for (const fragment of spec.config.fragments ?? []) {
      field('fragment', await readFile(fragment, 'utf8'));
    }
  }
  field('arch', spec.arch);
  for (const target of spec.targets) field('target', target);
  for (const name of Object.keys(spec.makeVars).sort())
    field(`var ${name}`, spec.makeVars[name] ?? '');
  return hash.digest('hex').slice(0, 16);
}
