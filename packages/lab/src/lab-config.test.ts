import { describe, expect, it } from 'vitest';
import { LabConfigInvalid } from './errors/lab-config-invalid.js';
import { parseLabConfig } from './lab-config.js';

const valid = {
  name: 'vm1',
  host: '127.0.0.1',
  port: 2222,
  hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
  powerCycleCommand: ['sh', '/labs/vm1/power-cycle.sh'],
};

describe('parseLabConfig', () => {
  it('fills the defaults of a minimal config', () => {
    expect(parseLabConfig(valid)).toMatchObject({
      user: 'root',
      pool: 'default',
      arch: 'x86_64',
      bootTimeoutSeconds: 120,
    });
  });

  it('says a lab on loopback shares the build host, unless told otherwise', () => {
    expect(parseLabConfig(valid).sharesBuildHost).toBe(true);
    for (const host of ['localhost', '127.0.0.2', '::1', '[::1]']) {
      expect(parseLabConfig({ ...valid, host }).sharesBuildHost).toBe(true);
    }
    for (const host of ['10.1.3.7', 'rack3-node7', '128.0.0.1', 'localhost.example']) {
      expect(parseLabConfig({ ...valid, host }).sharesBuildHost).toBe(false);
    }
    expect(parseLabConfig({ ...valid, sharesBuildHost: false }).sharesBuildHost).toBe(false);
    expect(
      parseLabConfig({ ...valid, host: 'vm-host', sharesBuildHost: true }).sharesBuildHost,
    ).toBe(true);
    expect(() => parseLabConfig({ ...valid, sharesBuildHost: 'yes' })).toThrow(/sharesBuildHost/);
  });

  it('refuses a pool name that cannot be part of a queue name', () => {
    expect(parseLabConfig({ ...valid, pool: 'rack-2.east' }).pool).toBe('rack-2.east');
    expect(() => parseLabConfig({ ...valid, pool: 'rack:2' })).toThrow(/pool.*letters, digits/);
    expect(() => parseLabConfig({ ...valid, pool: 'rack 2' })).toThrow(LabConfigInvalid);
  });

  it('refuses a config without a pinned host key fingerprint', () => {
    const { hostKeyFingerprint: _, ...unpinned } = valid;
    expect(() => parseLabConfig(unpinned)).toThrow(LabConfigInvalid);
  });

  it('takes an absolute modulesRoot and refuses a relative one', () => {
    expect(parseLabConfig(valid).modulesRoot).toBeUndefined();
    expect(parseLabConfig({ ...valid, modulesRoot: '/srv/lab-root' }).modulesRoot).toBe(
      '/srv/lab-root',
    );
    expect(() => parseLabConfig({ ...valid, modulesRoot: 'lab-root' })).toThrow(/absolute/);
  });

  it('refuses a power-cycle command given as a shell line', () => {
    expect(() => parseLabConfig({ ...valid, powerCycleCommand: 'sh power-cycle.sh' })).toThrow(
      /argv/,
    );
  });
});
