/** The job name of a mail on the delivery queue (WEBHOOK_QUEUE), beside the webhook events. */
export const MAIL_JOB = 'mail';

/** The event a mail delivery is logged under, beside the webhooks' events. */
export const MAIL_EVENT = 'bisect.mail';

/**
 * One mail to send: the whole message, composed once when the bisect ended, so every
 * attempt (and the mbox of a dry run) carries the same bytes and the same Message-ID. It
 * carries no secret: the SMTP password is looked up by the worker when it sends.
 */
export interface MailJob {
  deliveryId: string;
  bisectId: string;
  /** `mail-<n>`: the n-th `notify` entry of the bisect. */
  targetId: string;
  messageId: string;
  /** The SMTP envelope: the sender and every recipient (To and Cc). */
  envelope: { from: string; to: string[] };
  /** The RFC 5322 message, CRLF line ends. */
  raw: string;
}
