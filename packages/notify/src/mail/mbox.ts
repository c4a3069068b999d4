import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A message as one mboxrd entry: the "From " separator line, the message with LF line ends,
 * and every line that starts with ">*From " quoted once more, so a report line "From ..."
 * cannot split the mail. `git send-email`, mutt and mailparser read it back as it was.
 */
export function mboxEntry(raw: string, sender: string, date: Date): string {
  const lines = raw.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const quoted = lines.map((line) => (/^>*From /.test(line) ? `>${line}` : line));
  return `From ${sender || 'MAILER-DAEMON'} ${asctime(date)}\n${quoted.join('\n')}\n\n`;
}

/** Appends one entry in a single write (O_APPEND), so concurrent deliveries do not interleave. */
export async function appendToMbox(path: string, entry: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, entry, { encoding: 'utf8', mode: 0o600 });
}

/** "Sun Dec  6 02:14:07 2026", the date of an mbox separator, in UTC. */
function asctime(date: Date): string {
  // toUTCString: "Sun, 06 Dec 2026 02:14:07 GMT".
  const [day, dom, month, year, time] = date.toUTCString().replace(',', '').split(' ') as [
    string,
    string,
    string,
    string,
    string,
  ];
  return `${day} ${month} ${String(Number(dom)).padStart(2, ' ')} ${time} ${year}`;
}
