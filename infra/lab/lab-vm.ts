import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { provisionLabVm, startLabVm, stopLabVm } from './vm/provision.js';

/**
 * The QEMU lab VM from the command line:
 *   tsx infra/lab/lab-vm.ts provision --dir DIR --kernel bzImage [--port N] [--name NAME]
 *   tsx infra/lab/lab-vm.ts start --dir DIR
 *   tsx infra/lab/lab-vm.ts stop --dir DIR
 * `provision` writes DIR/lab.json, the lab config the worker uses (docs/labs.md).
 */
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string' },
    kernel: { type: 'string' },
    port: { type: 'string' },
    name: { type: 'string' },
    accel: { type: 'string' },
  },
});
const command = positionals[0];
const dir = resolve(values.dir ?? '.kbisect/lab-vm');
const log = (line: string) => console.error(`lab-vm: ${line}`);

if (command === 'provision') {
  if (!values.kernel)
    throw new Error(
      'provision needs --kernel (a bzImage built with infra/lab/kernel/lab-vm.config)',
    );
  const vm = await provisionLabVm({
    dir,
    kernel: values.kernel,
    log,
    ...(values.port ? { sshPort: Number(values.port) } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(values.accel === 'kvm' || values.accel === 'tcg' ? { accel: values.accel } : {}),
  });
  console.log(vm.configPath);
} else if (command === 'start') {
  const started = performance.now();
  const pid = await startLabVm({ dir });
  log(`running, pid ${pid}, SSH up after ${((performance.now() - started) / 1000).toFixed(1)} s`);
} else if (command === 'stop') {
  await stopLabVm({ dir });
} else {
  console.error('usage: lab-vm.ts provision|start|stop --dir DIR [--kernel bzImage]');
  process.exitCode = 2;
}
