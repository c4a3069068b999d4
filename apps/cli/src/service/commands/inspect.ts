import type { BisectSummary, BisectView } from '@kbisect/contracts';
import { formatDuration } from '@kbisect/core';
import type { ApiClient } from '../client/api-client.js';
import { serviceReport } from '../render/service-report.js';
import { followToEnd } from './follow-to-end.js';

const short = (sha: string) => sha.slice(0, 12);

/** `kbisect status ID`: where the bisect stands, or its report when it ended. */
export async function statusCommand(client: ApiClient, id: string, json: boolean): Promise<number> {
  const view = await client.get(id);
  if (json) {
    process.stdout.write(`${JSON.stringify(view)}\n`);
    return 0;
  }
  process.stdout.write(`${describe(view)}\n`);
  return 0;
}

function describe(view: BisectView): string {
  const lines = [
    `bisect ${view.id}: ${view.status}`,
    `    range:    ${short(view.range.bad)} ^${view.range.goods.map(short).join(' ^')} (${view.range.commits} commits)`,
    `    oracle:   ${view.spec.oracle.kind}${'command' in view.spec.oracle ? `: ${view.spec.oracle.command}` : ''}`,
    `    created:  ${view.createdAt} by ${view.submittedBy}`,
  ];
  if (view.progress && !view.result) {
    const p = view.progress;
    lines.push(
      `    now:      ${p.phase} ${short(p.commit)}, ${p.remaining} candidates left, roughly ${p.stepsLeft} steps` +
        (p.secondsLeft !== undefined ? `, about ${formatDuration(p.secondsLeft)} left` : ''),
    );
  }
  lines.push(`    verdicts: ${view.journal.length}`);
  if (view.cancelRequested && !view.finishedAt) lines.push('    cancel requested');
  if (view.fix) {
    lines.push(
      `    fixed:    ${short(view.fix.commit)} ("${view.fix.subject}") in ${view.fix.describe}, by ${view.fix.by}`,
    );
  }
  const report = serviceReport(view);
  if (report) lines.push('', report);
  else if (view.result?.error) lines.push(`    error:    ${view.result.error}`);
  return lines.join('\n');
}

/** `kbisect list`: newest first, one line each. */
export async function listCommand(
  client: ApiClient,
  query: { status?: string; label?: string; limit?: number },
  json: boolean,
): Promise<number> {
  const page = await client.list(query);
  if (json) {
    process.stdout.write(`${JSON.stringify(page)}\n`);
    return 0;
  }
  const rows = page.bisects.map((b: BisectSummary) => [
    b.id,
    b.status,
    b.createdAt.replace('T', ' ').slice(0, 19),
    b.culprit ? short(b.culprit) : b.progress ? `${b.progress.remaining} left` : '',
    Object.entries(b.labels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  ]);
  const header = ['id', 'status', 'created', 'culprit', 'labels'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
  if (page.next) process.stdout.write(`more: kbisect list --cursor ${page.next}\n`);
  return 0;
}

/** `kbisect fixed ID COMMIT [--note TEXT]`: the fix of what the bisect found, for its reports. */
export async function fixedCommand(
  client: ApiClient,
  id: string,
  commit: string,
  note: string | undefined,
  json: boolean,
): Promise<number> {
  const fix = await client.fixed(id, commit, note);
  process.stdout.write(
    json
      ? `${JSON.stringify(fix)}\n`
      : `bisect ${id}: fixed by ${fix.commit.slice(0, 12)} ("${fix.subject}") in ${fix.describe}\n`,
  );
  return 0;
}

/** `kbisect cancel ID`. */
export async function cancelCommand(client: ApiClient, id: string, json: boolean): Promise<number> {
  const answer = await client.cancel(id);
  process.stdout.write(
    json ? `${JSON.stringify(answer)}\n` : `bisect ${answer.id}: ${answer.status}\n`,
  );
  return 0;
}

/**
 * `kbisect resume ID [--wait]`: a bisect that ended in error runs again from its journal;
 * with --wait, followed to its end from the resume on (not from its earlier end).
 */
export async function resumeCommand(
  client: ApiClient,
  id: string,
  flags: { json: boolean; wait: boolean },
): Promise<number> {
  const answer = await client.resume(id);
  if (flags.wait) {
    return followToEnd(client, id, {
      json: flags.json,
      eventsAsJson: false,
      ...(answer.after ? { after: answer.after } : {}),
    });
  }
  process.stdout.write(
    flags.json
      ? `${JSON.stringify(answer)}\n`
      : `bisect ${answer.id}: ${answer.status}, resuming from its journal; follow it with ` +
          `kbisect follow ${answer.id}${answer.after ? ` --after ${answer.after}` : ''}\n`,
  );
  return 0;
}

/** `kbisect mark ID COMMIT good|bad|skip`: a verdict by hand, as `git bisect good` records. */
export async function markCommand(
  client: ApiClient,
  id: string,
  commit: string,
  verdict: 'good' | 'bad' | 'skip',
  note: string | undefined,
  json: boolean,
): Promise<number> {
  const answer = await client.mark(id, commit, verdict, note);
  process.stdout.write(
    json
      ? `${JSON.stringify(answer)}\n`
      : `bisect ${id}: ${short(answer.entry.commit)} marked ${verdict} (journal entry ${answer.index + 1})\n`,
  );
  return 0;
}
