import { describe, expect, it } from 'vitest';
import { formatDuration } from './format-duration.js';

describe('formatDuration', () => {
  it('says seconds, minutes and seconds, or hours and minutes, as a clock is read', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(12.4)).toBe('12 s');
    expect(formatDuration(60)).toBe('1 min');
    expect(formatDuration(270)).toBe('4 min 30 s');
    expect(formatDuration(1860)).toBe('31 min');
    expect(formatDuration(3600)).toBe('1 h');
    expect(formatDuration(3780)).toBe('1 h 3 min');
    expect(formatDuration(-5)).toBe('0 s');
  });
});
