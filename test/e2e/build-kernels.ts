import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KernelBuilder } from '@kbisect/build';
import { openRepository } from '@kbisect/git';
import { kernelRepo } from '../fixtures/kernel-repo/kernel-repo.js';
import { LAB_KERNEL_SPEC } from './lab-kernel-spec.js';

/**
 * Builds lab kernels of the fixture repository ahead of time (the same cache e2e:kernel and
 * test:lab use) and prints one JSON line per commit with the timings:
 *   tsx test/e2e/build-kernels.ts good culprit:3.7 culprit:tail-more bad:3.7 <sha>...
 */
const { positionals } = parseArgs({ allowPositionals: true });
const cacheDir = process.env.KBISECT_E2E_CACHE ?? join(homedir(), '.cache', 'kbisect', 'e2e');
const fixture = await kernelRepo();
const repo = await openRepository({ source: fixture.dir, cacheDir: join(cacheDir, 'git') });
const builder = await KernelBuilder.create({
  spec: LAB_KERNEL_SPEC,
  cacheDir: join(cacheDir, 'build'),
});

function resolveName(name: string): string {
  if (name === 'good') return fixture.base;
  const [what, bug = '3.7'] = name.split(':');
  const variant = fixture.variants[bug as keyof typeof fixture.variants];
  if (variant && what === 'culprit') return variant.culprit;
  if (variant && what === 'bad') return variant.bad;
  if (variant && what === 'unbuildable') return variant.unbuildable[0] as string;
  return name;
}

for (const name of positionals.length ? positionals : ['good']) {
  const commit = resolveName(name);
  const { evidence, artifact } = await builder.build(repo, commit, new AbortController().signal);
  console.log(
    JSON.stringify({
      name,
      commit,
      ok: evidence.ok,
      cached: evidence.cached,
      release: evidence.release,
      image: artifact?.image,
      signature: evidence.signature,
      timings: evidence.timings,
      ...(evidence.ok ? {} : { logTail: evidence.logTail }),
    }),
  );
}
