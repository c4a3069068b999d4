import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A git repository shaped like a kernel for the builder's tests: a Makefile that takes O=,
 * ARCH, CC and LOCALVERSION, config targets, olddefconfig, bzImage (a real gcc-linked
 * vmlinux, so signatures compare real code), modules and modules_install (one fake .ko and
 * a `build` link, as the kernel installs them), kernelrelease, scripts/config and
 * scripts/kconfig/merge_config.sh. Builds take milliseconds instead of minutes, unless a
 * commit adds `slow-objects` (seconds per object) or `slow-build` (a two-minute bzImage).
 */
export interface FakeKernelRepo {
  dir: string;
  /** The repository as `KernelBuilder.build` wants it (the repo is its own mirror). */
  source: { mirrorPath: string; treeId(commit: string): Promise<string> };
  /** Writes files (path → content, null deletes) and commits them; returns the sha. */
  commit(subject: string, files: Record<string, string | null>): string;
  /** An empty commit: a new sha with the parent's tree. */
  commitEmpty(subject: string): string;
}

const MAKEFILE = `VERSION := 1.0.0
O ?= .
SRCS := $(sort $(wildcard *.c))
OBJS := $(patsubst %.c,$(O)/%.o,$(SRCS))
# A file slow-objects holding seconds makes every object take that long (progress tests).
OBJECT_DELAY := $(if $(wildcard slow-objects),$(shell cat slow-objects),0)

.PHONY: olddefconfig bzImage kernelrelease modules modules_install

olddefconfig:
\tgrep -v '^CONFIG_DROPPED_BY_OLDDEFCONFIG=' $(O)/.config > $(O)/.config.new || true
\tmv $(O)/.config.new $(O)/.config

%config:
\tcp configs/$@ $(O)/.config

$(O)/%.o: %.c
\t@echo "  CC      $*.o"
\t@sleep $(OBJECT_DELAY)
\t$(CC) -O2 -c -o $@ $<

$(O)/vmlinux: $(OBJS)
\t$(CC) -o $@ $(OBJS)

bzImage: $(O)/vmlinux
ifneq ($(wildcard slow-build),)
\tsleep 120 & echo $$! > $(O)/sleeper.pid; wait
endif
\tmkdir -p $(O)/arch/x86/boot
\tcp $(O)/vmlinux $(O)/arch/x86/boot/bzImage
\tprintf '%s' '$(VERSION)$(LOCALVERSION)' >> $(O)/arch/x86/boot/bzImage

kernelrelease:
\t@echo $(VERSION)$(LOCALVERSION)

MODDIR = $(INSTALL_MOD_PATH)/lib/modules/$(VERSION)$(LOCALVERSION)

modules: $(O)/vmlinux
\tmkdir -p $(O)/drivers/net
\tprintf 'fake module of %s\\n' '$(VERSION)$(LOCALVERSION)' > $(O)/drivers/net/fake.ko

modules_install:
\tmkdir -p $(MODDIR)/kernel/drivers/net
\tcp $(O)/drivers/net/fake.ko $(MODDIR)/kernel/drivers/net/fake.ko
\techo 'kernel/drivers/net/fake.ko:' > $(MODDIR)/modules.dep
\tln -sfn $(abspath $(O)) $(MODDIR)/build
`;

const SCRIPTS_CONFIG = `#!/bin/sh
# scripts/config --file F --disable X --set-str Y "": kbisect's release options.
exit 0
`;

const MERGE_CONFIG = `#!/bin/sh
# merge_config.sh -m -O DIR BASE FRAGMENTS...: fragments override the base. Its temporary
# file goes in the current directory, as the real one's does (mktemp ./.tmp.config.XXXXXXXXXX).
shift 3
base=$1
shift
tmp=$(mktemp ./.tmp.config.XXXXXXXXXX)
cat "$base" "$@" > "$tmp"
mv "$tmp" "$base"
`;

function git(dir: string, args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@kbisect.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@kbisect.invalid',
    },
  });
}

export function fakeKernelRepo(): FakeKernelRepo {
  const dir = mkdtempSync(join(tmpdir(), 'kbisect-fake-kernel-'));
  git(dir, ['init', '--quiet', '--initial-branch=main']);
  const write = (files: Record<string, string | null>) => {
    for (const [path, content] of Object.entries(files)) {
      const full = join(dir, path);
      if (content === null) {
        git(dir, ['rm', '--quiet', path]);
        continue;
      }
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      if (path.startsWith('scripts/')) chmodSync(full, 0o755);
    }
  };
  const commit = (subject: string, files: Record<string, string | null>) => {
    write(files);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '--quiet', '-m', subject]);
    return git(dir, ['rev-parse', 'HEAD']).trim();
  };
  commit('base', {
    Makefile: MAKEFILE,
    'scripts/config': SCRIPTS_CONFIG,
    'scripts/kconfig/merge_config.sh': MERGE_CONFIG,
    'configs/tinyconfig': 'CONFIG_BASE=y\n',
    'main.c': 'int helper(int);\nint main(void) { return helper(1); }\n',
    'helper.c': 'int helper(int x) { return x - 1; }\n',
  });
  return {
    dir,
    source: {
      mirrorPath: dir,
      async treeId(sha) {
        return git(dir, ['rev-parse', `${sha}^{tree}`]).trim();
      },
    },
    commit,
    commitEmpty(subject) {
      git(dir, ['commit', '--quiet', '--allow-empty', '-m', subject]);
      return git(dir, ['rev-parse', 'HEAD']).trim();
    },
  };
}
