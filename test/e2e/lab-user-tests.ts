import type { OracleSpec } from '@kbisect/oracle';

/**
 * What a kernel developer brings instead of kbisect's splice-loopback oracle: their own shell
 * test, run on the lab over SSH in the kernel under test. Both scripts drive the lab VM's
 * splice-bench (in its initramfs as /bin/splice-bench, a tool like any other on a lab) through
 * a short request/response transfer over loopback, the workload of the 3.7 report, and read its
 * JSON line with busybox sed: nothing but what the lab has.
 */
const TRANSFER =
  'splice-bench --pattern rr --response-size 64K --splice-len over --more all-but-last ' +
  '--duration 2 --timeout 3';

/** Pulls one number field out of splice-bench's one-line JSON (no jq on the lab). */
const FIELD = `field() { sed -n "s/.*\\"$1\\":\\([0-9.]*\\).*/\\1/p" out.json; }`;

/**
 * `command:` exit 1 when the transfer hangs or spends more than a third of its time stalled
 * (a healthy kernel stalls 0 ms; a 3.7-logic kernel never sends the tail, a tail-more kernel
 * waits for the 40/200 ms timers on nearly every response: ~90% of the time), 0 otherwise,
 * 125 (skip) when the transfer could not run at all. A third leaves room for a TCG VM on a
 * busy host, whose scheduling gaps a healthy kernel's transfer sees too.
 */
export const STALL_CHECK: OracleSpec = {
  kind: 'command',
  command: './stall-check.sh',
  timeoutSeconds: 60,
  files: [
    {
      path: 'stall-check.sh',
      mode: 0o755,
      content: `#!/bin/sh
# A short request/response transfer over loopback; bad when it stalls.
${TRANSFER} > out.json || exit 125
${FIELD}
seconds=$(field seconds); stalled=$(field stalledMs)
grep -q '"hang":true' out.json && { echo "hung: $(cat out.json)"; exit 1; }
echo "stalled $stalled ms in $seconds s on $(uname -r)"
awk -v s="$stalled" -v t="$seconds" 'BEGIN { exit (s * 3 > 1000 * t) ? 1 : 0 }'
`,
    },
  ],
};

/** `metric:` transactions per second of the same transfer (0 when it hangs); higher is better. */
export const TRANSACTION_RATE: OracleSpec = {
  kind: 'metric',
  command: './txn-rate.sh',
  timeoutSeconds: 60,
  files: [
    {
      path: 'txn-rate.sh',
      mode: 0o755,
      content: `#!/bin/sh
# Request/response transactions per second over loopback: the number is the last line.
${TRANSFER} > out.json || exit 1
${FIELD}
field transactionsPerSec
`,
    },
  ],
};
