import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceHarness } from './support/service-harness.js';
import { readSse, type SseEvent } from './support/sse.js';

let service: ServiceHarness;

beforeAll(async () => {
  // Progress every 300 ms instead of 30 s: a 2.5 s build says so several times.
  service = await ServiceHarness.start('build-progress', { buildProgressMs: 300 });
  await service.startWorker();
});
afterAll(() => service?.close());

interface LogLine {
  msg: string;
  bisectId?: string;
  commit?: string;
  step?: string;
  elapsedSeconds?: number;
}

const logLines = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'log').map((e) => e.data as LogLine);

describe('a build slower than the progress interval', () => {
  it("tells the bisect's followers when it starts, how long it has run, and when it ends", async () => {
    const command = 'sleep 2.5 && make -s';
    const id = await service.submit(service.spec({ build: { command } }));
    const built = / built in \d+ s$/;
    const events = await readSse(`${service.api.url}/v1/bisects/${id}/events`, {
      timeoutMs: 60_000,
      until: (e) => e.event === 'log' && built.test((e.data as LogLine).msg),
    });
    await service.request('POST', `/v1/bisects/${id}/cancel`, {
      token: service.tokens.writer,
      body: {},
    });
    await service.waitForEnd(id, 30_000);

    const lines = logLines(events);
    const end = lines.find((line) => built.test(line.msg)) as LogLine;
    const short = end.commit?.slice(0, 12) as string;
    const ofCommit = lines.filter((line) => line.commit === end.commit && line.step === 'build');
    expect(ofCommit.every((line) => line.bisectId === id)).toBe(true);
    expect(ofCommit[0]?.msg).toMatch(
      // A build slot of the repository (or, when every slot is busy, a worktree of the bisect).
      new RegExp(
        `^build ${short}: \`${command}\` in /\\S+/(slots/\\S+/slot-\\d+|worktrees/${id}/\\S+) on \\S+`,
      ),
    );
    const ticks = ofCommit.filter((line) => new RegExp(`^build ${short}: \\d+ s$`).test(line.msg));
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    const elapsed = ticks.map((line) => line.elapsedSeconds as number);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
    expect(ofCommit.at(-1)?.msg).toMatch(new RegExp(`^build ${short}: built in [2-9] s$`));
  });
});
