import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedJournal } from './support/expected-journal.js';
import { type BisectViewBody, RECORD_ORACLE, ServiceHarness } from './support/service-harness.js';
import { readSse, type SseEvent } from './support/sse.js';

let service: ServiceHarness;

beforeAll(async () => {
  service = await ServiceHarness.start('bisect');
  await service.startWorker();
});
afterAll(() => service?.close());

const streamIdOrder = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : Number(am - bm);
};

describe('a bisect submitted over HTTP to the service', () => {
  let id: string;
  let live: SseEvent[];
  let view: BisectViewBody;

  beforeAll(async () => {
    // Each oracle run takes a second, so that the time left, in whole seconds, has room to
    // shrink from the first bisect step to the last (builds of this project take ~0.1 s).
    id = await service.submit(
      service.spec({
        labels: { ci: 'https://ci.example/run/42', suite: 'service' },
        oracle: { kind: 'command', command: `sleep 1; ${RECORD_ORACLE}` },
      }),
    );
    // Followed live from the start, while the worker runs it.
    live = await readSse(`${service.api.url}/v1/bisects/${id}/events`, { timeoutMs: 90_000 });
    view = await service.waitForEnd(id);
  });

  it('serves the text report a developer sends to the list', async () => {
    const response = await service.request('GET', `/v1/bisects/${id}/report.txt`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain(`commit: ${service.project.culprit}`);
    expect(text).toContain('sender: flush every 512-byte record immediately');
    expect(text).toContain(
      `git bisect good ${view.journal.find((e) => e.verdict === 'good')?.commit}`,
    );
  });

  it('names the planted culprit with its subject, and re-tests it before naming it', () => {
    expect(view.status).toBe('found');
    expect(view.result?.culprit).toBe(service.project.culprit);
    expect(view.result?.subject).toBe('sender: flush every 512-byte record immediately');
    expect(view.result?.confirmations?.map((c) => [c.check, c.passed])).toContainEqual([
      'culprit-is-bad',
      true,
    ]);
  });

  it('keeps a journal with each tested commit once, skips the unbuildable ones and blames none of them', () => {
    const commits = view.journal.map((e) => e.commit);
    expect(new Set(commits).size).toBe(commits.length);
    for (const entry of view.journal) {
      if (service.project.unbuildable.includes(entry.commit)) expect(entry.verdict).toBe('skip');
    }
    expect(view.result?.steps).toBe(view.journal.length);
    expect(view.journal.every((e) => e.source === 'oracle')).toBe(true);
  });

  it('records the verdicts the core decides on this range, in the same order', async () => {
    const expected = await expectedJournal(service.project, join(service.work, 'reference'));
    expect(view.journal.map((e) => `${e.commit} ${e.verdict}`)).toEqual(expected);
  });

  it('streams the events in order: queued, running, every verdict as the journal has it, result, end', () => {
    const ids = live.map((e) => e.id);
    expect([...ids].sort(streamIdOrder)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const statuses = live
      .filter((e) => e.event === 'status')
      .map((e) => (e.data as { status: string }).status);
    expect(statuses).toEqual(['queued', 'running', 'found']);
    const verdicts = live
      .filter((e) => e.event === 'progress' && (e.data as { type: string }).type === 'verdict')
      .map((e) => (e.data as { entry: { commit: string } }).entry.commit);
    // The loop's confirmation re-tests come after the journal's verdicts.
    expect(verdicts.slice(0, view.journal.length)).toEqual(view.journal.map((e) => e.commit));
    const kinds = live.map((e) => e.event);
    expect(kinds.at(-1)).toBe('end');
    expect(kinds.at(-2)).toBe('status');
    expect(kinds.indexOf('result')).toBeLessThan(kinds.indexOf('end'));
    const logs = live.filter((e) => e.event === 'log').map((e) => (e.data as { msg: string }).msg);
    expect(logs).toContain(`${service.project.culprit} is the first bad commit`);
    expect(logs.some((m) => m.startsWith('testing '))).toBe(true);
  });

  it('says at each bisect step roughly how long is left, shrinking to the last tests', () => {
    const steps = live
      .filter((e) => e.event === 'progress' && (e.data as { type: string }).type === 'step')
      .map((e) => e.data as { phase: string; secondsLeft?: number });
    const bisecting = steps.filter((s) => s.phase === 'bisect');
    expect(bisecting.length).toBeGreaterThan(1);
    // The endpoints were built and measured before the first bisect step: every one has it.
    expect(
      bisecting.every((s) => Number.isInteger(s.secondsLeft) && (s.secondsLeft ?? -1) >= 0),
    ).toBe(true);
    const first = bisecting[0]?.secondsLeft as number;
    const last = bisecting.at(-1)?.secondsLeft as number;
    expect(last).toBeLessThan(first);
  });

  it('resumes the stream after a Last-Event-ID without repeating an event', async () => {
    const cut = live[Math.floor(live.length / 2)] as SseEvent;
    const rest = await readSse(`${service.api.url}/v1/bisects/${id}/events`, {
      headers: { 'last-event-id': cut.id },
    });
    expect(rest.map((e) => e.id)).toEqual(live.slice(live.indexOf(cut) + 1).map((e) => e.id));
  });

  it('exports a git bisect log that git bisect replay follows to the same culprit', async () => {
    const response = await service.request('GET', `/v1/bisects/${id}/log`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const log = await response.text();
    const clone = join(service.work, 'replay');
    execFileSync('git', ['clone', '-q', service.project.dir, clone]);
    writeFileSync(join(service.work, 'bisect.log'), log);
    const replay = execFileSync('git', ['bisect', 'replay', join(service.work, 'bisect.log')], {
      cwd: clone,
      encoding: 'utf8',
    });
    expect(replay).toContain(`${service.project.culprit} is the first bad commit`);
  });

  it('lists it by label and by status, and leaves no worktree behind', async () => {
    type List = { bisects: { id: string; culprit?: string }[] };
    const byLabel = (await (
      await service.request('GET', '/v1/bisects?label=suite=service&status=found')
    ).json()) as List;
    expect(byLabel.bisects.map((b) => b.id)).toEqual([id]);
    expect(byLabel.bisects[0]?.culprit).toBe(service.project.culprit);
    const none = (await (
      await service.request('GET', '/v1/bisects?label=suite=other')
    ).json()) as List;
    expect(none.bisects).toEqual([]);
    expect(existsSync(join(service.config.cacheDir, 'worktrees', id))).toBe(false);
  });

  it('counts it in the Prometheus metrics with its build and test steps', async () => {
    const text = await (await service.request('GET', '/metrics')).text();
    expect(text).toContain('kbisect_bisects{status="found"} 1');
    expect(text).toMatch(/kbisect_queue_jobs\{queue="coordinator",state="completed"\} 1/);
    const builds = Number(/kbisect_step_seconds_count\{kind="build"\} (\d+)/.exec(text)?.[1]);
    expect(builds).toBeGreaterThanOrEqual(view.journal.length);
  });
});
