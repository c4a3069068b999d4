import { describe, expect, it } from 'vitest';
import { missingConfigLines } from './config-check.js';

describe('missingConfigLines', () => {
  it('lists set options with another value and unset options that are set', () => {
    const dotConfig = 'CONFIG_A=y\nCONFIG_B=m\n# CONFIG_C is not set\nCONFIG_D=y\n';
    const fragment =
      '# a comment\nCONFIG_A=y\nCONFIG_B=y\nCONFIG_C=y\n# CONFIG_D is not set\n# CONFIG_E is not set\n';
    expect(missingConfigLines(fragment, dotConfig)).toEqual([
      'CONFIG_B=y',
      'CONFIG_C=y',
      '# CONFIG_D is not set',
    ]);
  });
});
