import MailComposer from 'nodemailer/lib/mail-composer/index.js';

/** A person as a mail header names them; git gives both parts. */
export interface Mailbox {
  name?: string;
  address: string;
}

/** A mail as kbisect writes it: plain text, in a thread when it answers one. */
export interface MailMessage {
  from: string;
  to: readonly Mailbox[];
  cc: readonly Mailbox[];
  subject: string;
  text: string;
  messageId: string;
  date: Date;
  inReplyTo?: string;
  /** Extra headers, e.g. X-Kbisect-Bisect. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The message as bytes (nodemailer's MailComposer: encoded names and subject, UTF-8 text as
 * quoted-printable), and the envelope that goes with it. Composed once: SMTP sends these
 * bytes as they are, and a dry run writes them to the mbox.
 */
export async function composeMail(
  message: MailMessage,
): Promise<{ raw: string; envelope: { from: string; to: string[] } }> {
  const mail = new MailComposer({
    from: message.from,
    to: message.to.map((m) => ({ name: m.name ?? '', address: m.address })),
    cc: message.cc.map((m) => ({ name: m.name ?? '', address: m.address })),
    subject: message.subject,
    text: message.text,
    messageId: message.messageId,
    date: message.date,
    ...(message.inReplyTo ? { inReplyTo: message.inReplyTo, references: [message.inReplyTo] } : {}),
    ...(message.headers ? { headers: { ...message.headers } } : {}),
  }).compile();
  // Keep Bcc out and the envelope explicit: the recipients are exactly To and Cc.
  mail.keepBcc = false;
  const raw = (await mail.build()).toString('utf8');
  const envelope = mail.getEnvelope();
  return { raw, envelope: { from: envelope.from || '', to: envelope.to } };
}
