import type { LoopbackProject } from '../fixtures/loopback-project.js';

/**
 * The one bisect both demos run, local (`kbisect run`) and through the service
 * (`kbisect start`): the generated project, built with its Makefile, measured by its own
 * loopback benchmark and calibrated on the endpoints.
 */
export function demoBisectFlags(project: LoopbackProject): string[] {
  return [
    '--repo',
    project.dir,
    '--good',
    project.good,
    '--bad',
    'main',
    '--build',
    'make -s',
    '--oracle',
    'metric:./lbench',
    '--higher-is-better',
  ];
}
