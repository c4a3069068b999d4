import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeMail } from './compose-mail.js';
import { mboxEntry } from './mbox.js';

describe('mboxEntry', () => {
  it('writes an mboxrd entry whose message a mail parser reads back unchanged', async () => {
    const text = 'Hello,\n\nFrom the parent to the culprit: -92%\n>From quoted already\n';
    const { raw, envelope } = await composeMail({
      from: 'kbisect <kbisect@example.org>',
      to: [{ name: 'Jörg Author', address: 'author@example.org' }],
      cc: [{ address: 'list@example.org' }],
      subject: '[kbisect] v3.7-rc1-12-gabcdef0: throughput -92% regression',
      text,
      messageId: '<kbisect.b1.0@example.org>',
      date: new Date('2026-12-06T02:14:07Z'),
      inReplyTo: '<thread@example.org>',
    });
    expect(envelope).toEqual({
      from: 'kbisect@example.org',
      to: ['author@example.org', 'list@example.org'],
    });
    const entry = mboxEntry(raw, envelope.from, new Date('2026-12-06T02:14:07Z'));

    expect(entry.split('\n')[0]).toBe('From kbisect@example.org Sun Dec  6 02:14:07 2026');
    expect(entry.endsWith('\n\n')).toBe(true);
    const body = entry.slice(entry.indexOf('\n') + 1, -1).replace(/^>(>*From )/gm, '$1');
    const parsed = await simpleParser(body);
    expect(parsed.text).toBe(text);
    expect(parsed.subject).toBe('[kbisect] v3.7-rc1-12-gabcdef0: throughput -92% regression');
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : []).toEqual([
      { name: 'Jörg Author', address: 'author@example.org' },
    ]);
    expect(parsed.inReplyTo).toBe('<thread@example.org>');
  });

  it('quotes a body line that starts with "From " so it cannot start a new message', () => {
    const entry = mboxEntry('Subject: x\r\n\r\nFrom here\r\n>From there\r\n', 'a@b', new Date(0));
    expect(entry).toContain('\n>From here\n>>From there\n');
    expect(entry.match(/^From /gm)).toHaveLength(1);
  });
});
