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
 * `command:` exit 1 when the transfer hangs or spends more than a third of its time stalled,
 * three times in a row; 0 as soon as one try is stall-free; 125 (skip) when it cannot run.
 * A healthy kernel stalls 0 ms on a quiet host; a 3.7-logic kernel never sends the tail, a
 * tail-more kernel waits for the 40/200 ms timers on nearly every response (~90% of the time).
 * Three tries because a TCG VM on a busy host sees scheduling gaps on a healthy kernel too
 * (measured up to half the time in one 2 s try), while a regression stalls every time.
 */
export const STALL_CHECK: OracleSpec = {
  kind: 'command',
  command: './stall-check.sh',
  timeoutSeconds: 90,
  files: [
    {
      path: 'stall-check.sh',
      mode: 0o755,
      content: `#!/bin/sh
# A short request/response transfer over loopback; bad when it stalls in each of 3 tries.
${FIELD}
for try in 1 2 3; do
  ${TRANSFER} > out.json || exit 125
  seconds=$(field seconds); stalled=$(field stalledMs)
  if grep -q '"hang":true' out.json; then
    echo "try $try: hung on $(uname -r)"
  elif awk -v s="$stalled" -v t="$seconds" 'BEGIN { exit (s * 3 > 1000 * t) ? 0 : 1 }'; then
    echo "try $try: stalled $stalled ms in $seconds s on $(uname -r)"
  else
    echo "try $try: stalled $stalled ms in $seconds s on $(uname -r): good"
    exit 0
  fi
done
exit 1
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
