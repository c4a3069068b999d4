import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs, XMLLINT } from '../support/requirements.js';
import { kbisect } from './support/run-cli.js';
import { RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';

let service: ServiceHarness;
let env: NodeJS.ProcessEnv;

/** A token that may send no command of its own, only name a recipe of the config. */
const ROBOT_TOKEN = 'robot-token-cli-test';

beforeAll(async () => {
  service = await ServiceHarness.start('cli', {
    moreTokens: [{ name: 'robot', token: ROBOT_TOKEN, commands: 'recipes' }],
    sections: {
      recipes: {
        'record-check': {
          build: { command: 'make -s' },
          oracle: { kind: 'command', command: RECORD_ORACLE },
        },
      },
    },
  });
  await service.startWorker();
  env = { KBISECT_SERVER: service.api.url, KBISECT_TOKEN: service.tokens.writer };
});
afterAll(() => service?.close());

const bisectArgs = () => [
  '--repo',
  service.project.dir,
  '--good',
  'v1.0',
  '--bad',
  'main',
  '--build',
  'make -s',
  '--oracle',
  `command:${RECORD_ORACLE}`,
];

describe('kbisect start --wait --json', () => {
  it('follows the bisect to the culprit and prints the same result object as kbisect run --json', async () => {
    const [started, local] = await Promise.all([
      kbisect(['start', ...bisectArgs(), '--wait', '--json', '--label', 'ci=cli-test'], env),
      kbisect(['run', ...bisectArgs(), '--json', '--cache-dir', join(service.work, 'local-cache')]),
    ]);
    expect(started.code, started.stderr).toBe(0);
    expect(local.code, local.stderr).toBe(0);
    const service_ = started.json as Record<string, unknown>;
    const run = local.json as Record<string, unknown>;
    expect(service_.culprit).toBe(service.project.culprit);
    expect(Object.keys(service_).sort()).toEqual(Object.keys(run).sort());
    for (const key of [
      'status',
      'culprit',
      'candidates',
      'steps',
      'oracleRuns',
      'subject',
      'log',
      'result',
      'setup',
    ]) {
      expect(service_[key], key).toEqual(run[key]);
    }
    // The setup comes from the spec the service stored, as run makes it from its options.
    expect(service_.setup).toMatchObject({
      repository: service.project.dir,
      range: 'v1.0..main',
      build: 'command: make -s',
      lab: 'local (the worker host)',
    });
    // The person watching saw the progress and the report on stderr, as with run --json.
    expect(started.stderr).toMatch(/INFO: testing [0-9a-f]{12}: \d+ candidates left/);
    expect(started.stderr).toContain(`${service.project.culprit} is the first bad commit`);
    expect(started.stderr).toMatch(/Tested commits:/);
  });

  it('exits 3 when good and bad cannot be told apart, with the baselines in the result', async () => {
    const result = await kbisect(
      [
        'start',
        ...bisectArgs().slice(0, -2),
        '--oracle',
        'metric:echo 42',
        '--calibration-samples',
        '5',
        '--wait',
        '--json',
      ],
      env,
    );
    expect(result.code, result.stderr).toBe(3);
    expect(result.json?.status).toBe('not-distinguishable');
    expect(result.json?.baselines).toMatchObject({ good: { median: 42 }, bad: { median: 42 } });
  });

  it('exits 2 when the bisect is inconclusive', async () => {
    // Every test says "skip": the bad commit cannot even be confirmed.
    const result = await kbisect(
      ['start', ...bisectArgs().slice(0, -2), '--oracle', 'command:exit 125', '--wait', '--json'],
      env,
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.json?.status).toBe('inconclusive');
  });
});

describe('kbisect start --recipe', () => {
  it('lets a token limited to recipes bisect with the build and oracle of a recipe', async () => {
    const robot = { ...env, KBISECT_TOKEN: ROBOT_TOKEN };
    const range = ['--repo', service.project.dir, '--good', 'v1.0', '--bad', 'main'];
    // Its own command is refused by the service, naming the recipes it may use instead.
    const own = await kbisect(['start', ...bisectArgs()], robot);
    expect(own.code).not.toBe(0);
    expect(own.stderr).toMatch(/record-check/);
    // --recipe with --oracle is refused before anything is sent.
    const both = await kbisect(
      ['start', ...range, '--recipe', 'record-check', '--oracle', 'command:true'],
      robot,
    );
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(
      /--recipe record-check brings the build and the oracle: drop --oracle/,
    );
    const started = await kbisect(
      ['start', ...range, '--recipe', 'record-check', '--wait', '--json'],
      robot,
    );
    expect(started.code, started.stderr).toBe(0);
    expect((started.json as { culprit: string }).culprit).toBe(service.project.culprit);
  });
});

describe('kbisect start --wait --junit --markdown', () => {
  it('writes the JUnit XML the CI schema accepts and the Markdown summary, as run does', async (context) => {
    needs(context, XMLLINT);
    const junit = join(service.work, 'reports', 'start.xml');
    const markdown = join(service.work, 'reports', 'start.md');
    const result = await kbisect(
      ['start', ...bisectArgs(), '--wait', '--junit', junit, '--markdown', markdown],
      env,
    );
    expect(result.code, result.stderr).toBe(0);
    const schema = join(import.meta.dirname, '../../packages/report/schema/JUnit.xsd');
    execFileSync('xmllint', ['--noout', '--schema', schema, junit], { stdio: 'pipe' });
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain(service.project.culprit);
    expect(xml).toContain(`${service.api.url}/v1/bisects/`);
    // The setup the service stored with the result, as JUnit properties (schema-checked above).
    expect(xml).toContain(
      `<property name="kbisect.setup.repository" value="${service.project.dir}"/>`,
    );
    expect(xml).toContain('<property name="kbisect.setup.lab" value="local (the worker host)"/>');
    // The journal comes from the service beside the result: the tested commits are listed.
    expect(xml.match(/<testcase /g)?.length ?? 0).toBeGreaterThan(1);
    expect(readFileSync(markdown, 'utf8')).toContain(
      'sender: flush every 512-byte record immediately',
    );
  });

  it('refuses report files without --wait: there is no result to write yet', async () => {
    const result = await kbisect(['start', ...bisectArgs(), '--junit', 'x.xml'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--junit and --markdown need --wait');
  });

  it("sends --parallel-tests as the spec's parallelTests, and refuses a count below one", async () => {
    const zero = await kbisect(['start', ...bisectArgs(), '--parallel-tests', '0'], env);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain("--parallel-tests '0': expected a whole number of commits");
    const started = await kbisect(['start', ...bisectArgs(), '--parallel-tests', '2'], env);
    expect(started.code, started.stderr).toBe(0);
    const [id] = started.stdout.trim().split('\n') as [string];
    const view = (await service.bisect(id)) as unknown as { spec: { parallelTests?: number } };
    expect(view.spec.parallelTests).toBe(2);
    await kbisect(['cancel', id], env);
  });
});

describe('the other client commands', () => {
  let id: string;

  beforeAll(async () => {
    const started = await kbisect(['start', ...bisectArgs(), '--label', 'ci=cli-list'], env);
    expect(started.code, started.stderr).toBe(0);
    [id] = started.stdout.trim().split('\n') as [string];
    expect(started.stdout).toContain(`${service.api.url}/v1/bisects/${id}`);
  });

  it('follow prints the progress to the end, the report, and exits as run would', async () => {
    const followed = await kbisect(['follow', id], env);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stderr).toMatch(/STATUS: running/);
    expect(followed.stdout).toContain(`${service.project.culprit} is the first bad commit`);
  });

  it('status, list and the 409s of cancel and mark on an ended bisect', async () => {
    const status = await kbisect(['status', id], env);
    expect(status.stdout).toMatch(new RegExp(`bisect ${id}: found`));
    const json = await kbisect(['status', id, '--json'], env);
    expect(json.json?.id).toBe(id);
    const list = await kbisect(['list', '--label', 'ci=cli-list'], env);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+found`));
    const cancel = await kbisect(['cancel', id], env);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/409 bisect .* already ended: found/);
    const mark = await kbisect(['mark', id, 'main', 'good'], env);
    expect(mark.code).toBe(1);
    expect(mark.stderr).toMatch(/409/);
  });

  it('fixed records the fix of the culprit, and status and every report say so', async () => {
    // v1.0 is older than the culprit: it cannot be its fix.
    const older = await kbisect(['fixed', id, 'v1.0'], env);
    expect(older.code).toBe(1);
    expect(older.stderr).toMatch(/422 .* does not contain the culprit/);
    const unknown = await kbisect(['fixed', id, 'no-such-ref'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/422 .*no-such-ref/);

    const fixed = await kbisect(['fixed', id, 'main', '--note', 'reverted in main'], env);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(
      new RegExp(`bisect ${id}: fixed by [0-9a-f]{12} \\("Tidy notes"\\) in v1\\.0-\\d+-g`),
    );
    const status = await kbisect(['status', id], env);
    expect(status.stdout).toMatch(
      / {4}fixed: {4}[0-9a-f]{12} \("Tidy notes"\) in v1\.0-\d+-g[0-9a-f]+, by ci/,
    );
    const report = await service.request('GET', `/v1/bisects/${id}/report.txt`);
    const text = await report.text();
    expect(text).toMatch(/^fixed: [0-9a-f]{40} \("Tidy notes"\)$/m);
    expect(text).toMatch(/^ {7}in v1\.0-\d+-g[0-9a-f]+, recorded by ci at .*: reverted in main$/m);
    // Only ended bisects with something to fix: a not-distinguishable one has none.
    const view = (await (await service.request('GET', `/v1/bisects/${id}`)).json()) as {
      fix?: { commit: string; by: string };
    };
    expect(view.fix).toMatchObject({ by: 'ci' });
  });

  it('says what is wrong without a token, with a bad body, and without a server', async () => {
    const noToken = await kbisect(['start', ...bisectArgs(), '--json'], {
      ...env,
      KBISECT_TOKEN: '',
    });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/401 this needs an API token/);
    expect(noToken.json).toMatchObject({ status: 'error' });
    const badRef = await kbisect(
      ['start', ...bisectArgs().slice(0, 4), '--bad', 'nope', '--oracle', 'command:true'],
      env,
    );
    expect(badRef.code).toBe(1);
    expect(badRef.stderr).toMatch(/422 .*nope/);
    expect(badRef.stderr).toMatch(/\/bad: unknown ref "nope"/);
    const down = await kbisect(['status', id, '--server', 'http://127.0.0.1:9'], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the kbisect API at http:\/\/127.0.0.1:9/);
  });
});
