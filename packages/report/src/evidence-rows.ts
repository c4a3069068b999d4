import type { Sample } from '@kbisect/core';
import { measuredValues } from './format.js';

/** One line of the parent/culprit table: a quantity and its values on each side. */
export interface EvidenceRow {
  name: string;
  before: number[];
  after: number[];
}

/**
 * The rows of the comparison: the oracle's own measure first, then, for splice-loopback, what
 * every sample's splice-bench result also says (the rate it did not decide on, stalled time,
 * the stall histogram, delayed ACKs, retransmits, the receiver's MSS): the numbers a network
 * developer reads to see *why* the culprit is slower, as LKP lists its perf-stat rows.
 */
export function evidenceRows(
  before: readonly Sample[],
  after: readonly Sample[],
  measureName: string,
): EvidenceRow[] {
  const rows: EvidenceRow[] = [
    { name: measureName, before: measuredValues(before), after: measuredValues(after) },
  ];
  const b = before.map(spliceDetail).filter((d) => d !== undefined);
  const a = after.map(spliceDetail).filter((d) => d !== undefined);
  if (b.length === 0 || a.length === 0) return rows;
  // The unit the samples were decided on: its row would repeat the first one.
  const decidedOn = a[0]?.unit;
  const add = (name: string, pick: (d: SpliceDetail) => number | null | undefined) => {
    const values = (list: SpliceDetail[]) =>
      list.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const row = { name, before: values(b), after: values(a) };
    // A counter that stayed 0 on both sides says nothing (LKP leaves such rows out too).
    const moved = [...row.before, ...row.after].some((v) => v !== 0);
    if (row.before.length && row.after.length && moved) rows.push(row);
  };
  if (decidedOn !== 'bytes/s') add('throughput (Gbit/s)', (d) => d.throughput?.gbitPerSec);
  if (decidedOn !== 'transactions/s') add('transactions/s', (d) => d.transactionsPerSec);
  if (decidedOn !== 'ms/s') {
    add('stalled (ms/s)', (d) =>
      d.seconds && d.stalls ? Math.min(1000, d.stalls.stalledMs / d.seconds) : undefined,
    );
  }
  add('stalls (gaps >= threshold)', (d) => d.stalls?.count);
  for (const bucket of Object.keys(a[0]?.stalls?.buckets ?? {})) {
    add(`stalls ${bucket} ms`, (d) => d.stalls?.buckets?.[bucket]);
  }
  add('longest gap (ms)', (d) => d.stalls?.longestGapMs);
  add('delayed ACKs', (d) => d.delayedAcks);
  add('retransmits', (d) => d.retransmits);
  add('receiver MSS (bytes)', (d) => d.rcvMss);
  return rows;
}

/** The fields of a splice-bench result a report reads; the sample keeps it as `detail`. */
interface SpliceDetail {
  unit?: string;
  seconds?: number;
  throughput?: { gbitPerSec?: number };
  transactionsPerSec?: number | null;
  stalls?: {
    count?: number;
    buckets?: Record<string, number>;
    longestGapMs?: number;
    stalledMs: number;
  };
  delayedAcks?: number | null;
  retransmits?: number | null;
  rcvMss?: number | null;
}

function spliceDetail(sample: Sample): SpliceDetail | undefined {
  const detail = sample.detail;
  return detail?.tool === 'splice-bench' ? (detail as SpliceDetail) : undefined;
}
