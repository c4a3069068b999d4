import { describe, expect, it } from 'vitest';
import { formatP, formatPercent, formatValue, HANG_SENTINEL } from './format.js';

describe('formatting for reports', () => {
  it('writes small p-values as powers of ten and others with two digits', () => {
    expect(formatP(1.2e-4)).toBe('1e-4');
    expect(formatP(0.017857)).toBe('0.018');
    expect(formatP(1)).toBe('1');
    expect(formatP(0)).toBe('0');
  });

  it('writes changes as signed whole percentages', () => {
    expect(formatPercent(-0.923)).toBe('-92%');
    expect(formatPercent(0.153)).toBe('+15%');
    expect(formatPercent(0.004)).toBe('+0.4%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(-0.0098)).toBe('-1%');
  });

  it('writes values with two significant digits, and a hang as "hang"', () => {
    expect(formatValue(9.134)).toBe('9.1');
    expect(formatValue(0.702)).toBe('0.7');
    expect(formatValue(1234.5)).toBe('1235');
    expect(formatValue(HANG_SENTINEL)).toBe('hang');
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe('hang');
  });
});
