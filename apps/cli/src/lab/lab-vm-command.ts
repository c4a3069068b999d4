import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Accel, provisionLabVm, startLabVm, stopLabVm, VM_FILES } from '@kbisect/lab/vm';
import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';

interface VmFlags {
  dir: string;
}

interface ProvisionFlags extends VmFlags {
  kernel?: string;
  port?: string;
  name?: string;
  accel?: string;
}

const DIR_HELP = 'the VM directory: keys, initramfs, scripts, console log, lab.json';
const KERNEL_HINT =
  'a bzImage built with the fragment infra/lab/kernel/lab-vm.config, e.g. the image that ' +
  '`kbisect kernel build --repo LINUX v6.1 --defconfig tinyconfig --config-fragment ' +
  'infra/lab/kernel/lab-vm.config` prints';

/**
 * `kbisect lab vm provision|start|stop`: a QEMU lab VM on this host (docs/labs.md). provision
 * writes DIR/lab.json, the lab config to list under `labs:` in the service configuration.
 */
export function registerLabCommands(program: Command): void {
  const vm = program
    .command('lab')
    .description('lab machines for kernel bisects')
    .command('vm')
    .description('a QEMU lab VM on this host: provision it once, then start and stop it');

  vm.command('provision')
    .description('write keys, initramfs, scripts and lab.json for a VM booting --kernel')
    .requiredOption('--dir <dir>', DIR_HELP)
    .option('--kernel <bzImage>', `the VM's default kernel: ${KERNEL_HINT}`)
    .option('--port <port>', 'the SSH port forwarded on 127.0.0.1 (default: a free one)')
    .option('--name <name>', 'the lab name bisects use (default qemu-lab)')
    .option('--accel <kvm|tcg>', 'skip the KVM probe: kvm, or tcg (software emulation)')
    .action(async (flags: ProvisionFlags) => {
      const options = provisionOptionsOf(flags);
      const provisioned = await provisionLabVm({
        ...options,
        log: (line) => process.stderr.write(`lab vm: ${line}\n`),
      });
      process.stderr.write(
        `lab vm: provisioned; list ${provisioned.configPath} under labs: in the service configuration\n`,
      );
      process.stdout.write(`${provisioned.configPath}\n`);
    });

  vm.command('start')
    .description('start the VM (daemonized) and wait until SSH answers on its default kernel')
    .requiredOption('--dir <dir>', DIR_HELP)
    .action(async (flags: VmFlags) => {
      const dir = provisionedDir(flags.dir);
      const started = performance.now();
      const pid = await startLabVm({ dir });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(`lab vm: running, pid ${pid}, SSH up after ${seconds} s\n`);
    });

  vm.command('stop')
    .description('stop the VM by the pid in its pid file')
    .requiredOption('--dir <dir>', DIR_HELP)
    .action(async (flags: VmFlags) => {
      await stopLabVm({ dir: provisionedDir(flags.dir) });
    });
}

/** The provision flags, checked before anything is written. */
export function provisionOptionsOf(flags: ProvisionFlags) {
  if (!flags.kernel) throw new UsageError(`lab vm provision needs --kernel: ${KERNEL_HINT}`);
  const kernel = resolve(flags.kernel);
  if (!existsSync(kernel) || !statSync(kernel).isFile()) {
    throw new UsageError(`--kernel '${flags.kernel}': no such file; give ${KERNEL_HINT}`);
  }
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    throw new UsageError(`--port '${flags.port}': expected a TCP port, 1 to 65535`);
  }
  if (flags.name !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(flags.name)) {
    throw new UsageError(
      `--name '${flags.name}': letters, digits, dot, dash and underscore, at most 128 (it is part of queue names)`,
    );
  }
  if (flags.accel !== undefined && flags.accel !== 'kvm' && flags.accel !== 'tcg') {
    throw new UsageError(`--accel '${flags.accel}': expected kvm or tcg`);
  }
  return {
    dir: resolve(flags.dir),
    kernel,
    ...(port !== undefined ? { sshPort: port } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(flags.accel !== undefined ? { accel: flags.accel as Accel } : {}),
  };
}

/** A directory `provision` has written, or a usage error that says to provision first. */
function provisionedDir(dir: string): string {
  const full = resolve(dir);
  if (!existsSync(join(full, VM_FILES.labConfig))) {
    throw new UsageError(
      `--dir '${dir}': no lab VM there (no ${VM_FILES.labConfig}); run kbisect lab vm provision --dir ${dir} --kernel BZIMAGE first`,
    );
  }
  return full;
}
