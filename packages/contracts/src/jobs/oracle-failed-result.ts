import { OracleFailed } from '@kbisect/core';
import type { LabTestJobResult } from './lab-test-job.js';

type OracleFailedResult = Extract<LabTestJobResult, { kind: 'oracle-failed' }>;

/** An `OracleFailed` of a lab-test job as its result, so the coordinator can journal it. */
export function oracleFailedResult(error: OracleFailed): OracleFailedResult {
  return {
    kind: 'oracle-failed',
    message: error.message,
    ...(error.outputTail !== undefined ? { outputTail: error.outputTail } : {}),
    // The default is left out: results written before boot failures had a reason read the same.
    ...(error.reason !== 'oracle-skip' ? { reason: error.reason } : {}),
  };
}

/** The `OracleFailed` a lab-test job reported, for the bisect loop on the coordinator. */
export function oracleFailedOf(result: OracleFailedResult): OracleFailed {
  return new OracleFailed(result.message, result.outputTail, result.reason ?? 'oracle-skip');
}
