/**
 * The QEMU lab VM on the worker host: provisioned once (keys, initramfs, scripts, lab.json),
 * then started and stopped by its pid. `kbisect lab vm` and the e2e runs use it; the worker
 * only ever sees the lab.json it writes.
 */
export {
  type LabVm,
  type ProvisionOptions,
  provisionLabVm,
  startLabVm,
  stopLabVm,
  type VmLabConfig,
} from './provision.js';
export { type Accel, VM_FILES } from './qemu.js';
