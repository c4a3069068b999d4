import { OracleFailed } from '@kbisect/core';
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { LabTestJobResult } from './lab-test-job.js';
import { oracleFailedOf, oracleFailedResult } from './oracle-failed-result.js';

/** What the coordinator reads: the result as BullMQ stores it (JSON), checked by its schema. */
const acrossRedis = (result: LabTestJobResult): LabTestJobResult => {
  const read: unknown = JSON.parse(JSON.stringify(result));
  if (!Value.Check(LabTestJobResult, read)) throw new Error('result does not match its schema');
  return read;
};

describe('an oracle failure across the lab-test queue', () => {
  it('keeps a boot failure a boot failure, with its console tail', () => {
    const sent = new OracleFailed(
      'boot failed: lab vm-a: no SSH within 90 s',
      'panic',
      'boot-failed',
    );
    const read = acrossRedis(oracleFailedResult(sent));
    expect(read).toEqual({
      kind: 'oracle-failed',
      message: 'boot failed: lab vm-a: no SSH within 90 s',
      outputTail: 'panic',
      reason: 'boot-failed',
    });
    const received = oracleFailedOf(read as Extract<LabTestJobResult, { kind: 'oracle-failed' }>);
    expect(received).toBeInstanceOf(OracleFailed);
    expect([received.message, received.outputTail, received.reason]).toEqual([
      sent.message,
      'panic',
      'boot-failed',
    ]);
  });

  it('reads an oracle failure without a reason (as results were written before) as oracle-skip', () => {
    const read = acrossRedis(oracleFailedResult(new OracleFailed('printed no number')));
    expect(read).toEqual({ kind: 'oracle-failed', message: 'printed no number' });
    const received = oracleFailedOf(read as Extract<LabTestJobResult, { kind: 'oracle-failed' }>);
    expect([received.reason, received.outputTail]).toEqual(['oracle-skip', undefined]);
  });

  it('refuses a reason the bisect loop does not know', () => {
    const result = { kind: 'oracle-failed', message: 'x', reason: 'lab-on-fire' };
    expect(Value.Check(LabTestJobResult, result)).toBe(false);
  });
});
