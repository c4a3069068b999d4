import { formatDuration } from '@kbisect/core';
/**
 * What a running build has done so far, in the words of its progress lines:
 * "build 2c0000cd6d29: 4 min 30 s, 3120/4410 objects (71%), about 1 min 50 s left".
 * Pure, so the wording and the estimate are tested without a build.
 */
export interface BuildProgress {
  /** Short commit, e.g. `2c0000cd6d29`. */
  commit: string;
  elapsedSeconds: number;
  /** Kernel builds: objects compiled by this build so far (kbuild's `CC`/`AS` lines). */
  objects?: number;
  /** Objects of the last full build of the same build directory, when one was recorded. */
  expectedObjects?: number;
  /** Seconds since compiling began: the rate of the estimate leaves configure out. */
  compileSeconds?: number;
}

/**
 * Seconds left at the rate objects were compiled so far, or undefined when nothing says:
 * no count, no earlier full build, nothing compiled yet, or already past the full count (an
 * incremental build compiles fewer objects than a full one, so the estimate is an upper bound).
 */
export function estimateSecondsLeft(progress: BuildProgress): number | undefined {
  const { objects, expectedObjects } = progress;
  const seconds = progress.compileSeconds ?? progress.elapsedSeconds;
  if (objects === undefined || expectedObjects === undefined) return undefined;
  if (objects <= 0 || objects >= expectedObjects || seconds <= 0) return undefined;
  return ((expectedObjects - objects) * seconds) / objects;
}

export function progressMessage(progress: BuildProgress): string {
  const parts = [formatDuration(progress.elapsedSeconds)];
  const { objects, expectedObjects } = progress;
  if (objects !== undefined) {
    if (expectedObjects === undefined || expectedObjects <= 0) {
      parts.push(`${objects} objects compiled`);
    } else if (objects > expectedObjects) {
      parts.push(`${objects} objects (the last full build had ${expectedObjects})`);
    } else {
      const percent = Math.floor((100 * objects) / expectedObjects);
      parts.push(`${objects}/${expectedObjects} objects (${percent}%)`);
      const left = estimateSecondsLeft(progress);
      if (left !== undefined) parts.push(`about ${formatDuration(left)} left`);
    }
  }
  return `build ${progress.commit}: ${parts.join(', ')}`;
}

// kbuild's quiet output names each object it compiles: "  CC      kernel/fork.o",
// "  CC [M]  drivers/net/e1000/e1000_main.o", "  AS      arch/x86/entry/entry_64.o".
// HOSTCC, LD, AR and the .s/.lds/.h it generates are not objects of the tree.
const OBJECT_LINE = /^ {2}(?:CC|AS)(?: \[M\])? +\S+\.o$/;

/**
 * Counts the objects a streaming make output names. Output arrives in chunks that cut lines
 * anywhere, so the unfinished last line is kept for the next chunk.
 */
export class ObjectLineCounter {
  count = 0;
  private partial = '';

  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) if (OBJECT_LINE.test(line)) this.count++;
  }
}
