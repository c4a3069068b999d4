import { formatPercent } from '@kbisect/core';
import { bisectFacts } from './bisect-facts.js';
import { shortSha } from './format.js';
import type { BisectReportInput } from './report-input.js';

/**
 * The subject of the report mail, in LKP's manner: "[kbisect] <describe>: <metric> <change>",
 * e.g. "[kbisect] v3.7-rc1-12-gabcdef0: throughput -92% regression". A mail client sorts
 * and threads by it, so it names the commit and the size before anything else.
 */
export function mailSubject(input: BisectReportInput): string {
  const facts = bisectFacts(input);
  const { result } = facts;
  const name = (sha: string) => facts.commit(sha)?.describe ?? shortSha(sha);
  // Without a culprit, the range as the user named it ("v3.6..v3.7").
  const where = result.culprit
    ? name(result.culprit)
    : (result.setup?.range ??
      (facts.endpoints
        ? `${facts.endpoints.goods.map(name).join(' ')}..${name(facts.endpoints.bad)}`
        : 'bisect'));
  switch (result.status) {
    case 'found': {
      const metric = (input.quantity ?? result.quantity)?.metric ?? 'metric';
      const change = facts.culpritDecision?.effects.vsGood;
      if (facts.culpritBootFailure) return `[kbisect] ${where}: boot failure`;
      if (typeof change === 'number' && Number.isFinite(change)) {
        return `[kbisect] ${where}: ${metric} ${formatPercent(change)} regression`;
      }
      return `[kbisect] ${where}: ${facts.culpritSummary ?? 'regression'}`;
    }
    case 'inconclusive':
      return `[kbisect] ${where}: inconclusive, ${result.candidates.length} candidate commits`;
    case 'not-distinguishable':
      return `[kbisect] ${where}: good and bad not distinguishable`;
    case 'error':
      return `[kbisect] ${where}: bisect stopped on an error`;
  }
}
