import { describeDiskSpace, diskSpace } from '@kbisect/queue';

/** What a failing file system says, in errno and in the words git and make print. */
const FILE_SYSTEM_FAULTS = [
  { code: 'ENOSPC', what: 'disk full', pattern: /\bENOSPC\b|No space left on device/ },
  { code: 'EDQUOT', what: 'disk quota exceeded', pattern: /\bEDQUOT\b|Disk quota exceeded/ },
  { code: 'EROFS', what: 'read-only file system', pattern: /\bEROFS\b|Read-only file system/ },
  { code: 'EIO', what: 'I/O error', pattern: /\bEIO\b|Input\/output error/ },
  { code: 'EACCES', what: 'cache not writable', pattern: /\bEACCES\b|\bEPERM\b|Permission denied/ },
] as const;

/** Those that a user's build can also hit without it being the commit's fault. */
const BUILD_OUTPUT_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO']);

/**
 * The build host, not the commit, failed: its disk is full, its cache read-only or not
 * writable. Not evidence about the commit (that would be a skip): the job is tried again
 * later (infrastructure-retry.ts), and the message carries the free space of the cache.
 */
export class HostFault extends Error {
  override readonly name = 'HostFault';
  constructor(
    readonly code: string,
    readonly what: string,
    readonly host: string,
    detail: string,
  ) {
    super(`${what} on build host ${host} (${code}): ${detail}`);
  }
}

/**
 * The `HostFault` behind an error a build job threw (git in the cache, the worktree), or
 * behind a failed build whose output says the disk failed it; undefined when the error is not
 * the host's. `dir` is where the job writes: its free space goes into the message.
 */
export function hostFaultOf(
  failure: { error: unknown } | { buildOutput: string },
  host: string,
  dir: string,
): HostFault | undefined {
  if ('error' in failure && failure.error instanceof HostFault) return failure.error;
  const text =
    'buildOutput' in failure
      ? failure.buildOutput
      : failure.error instanceof Error
        ? `${(failure.error as NodeJS.ErrnoException).code ?? ''} ${failure.error.message}`
        : String(failure.error);
  const fault = FILE_SYSTEM_FAULTS.find(
    (f) => f.pattern.test(text) && ('error' in failure || BUILD_OUTPUT_FAULTS.has(f.code)),
  );
  if (!fault) return undefined;
  const space = diskSpace(dir);
  const line = text.split('\n').find((l) => fault.pattern.test(l)) ?? text;
  const detail = `${line.trim().slice(0, 300)}${space ? `; ${describeDiskSpace(space)}` : ''}`;
  return new HostFault(fault.code, fault.what, host, detail);
}
