import { readFile } from 'node:fs/promises';
import { createTransport } from 'nodemailer';
import type { MailConfig, SmtpConfig } from './mail-config.js';
import type { MailJob } from './mail-job.js';
import { appendToMbox, mboxEntry } from './mbox.js';

/** What a delivery attempt learned: the server's reply, for the delivery log. */
export interface MailSent {
  statusCode?: number;
  response?: string;
}

/** Where mails go: an SMTP relay, or the mbox of a dry run. */
export interface MailSender {
  /** For the delivery log: smtp://host:port, or "mbox (dry run)"; never a credential. */
  origin: string;
  send(job: MailJob): Promise<MailSent>;
}

/** A delivery that failed; `retryable` when the same message may be accepted later. */
export class MailAttemptFailed extends Error {
  override readonly name = 'MailAttemptFailed';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** The SMTP password: read when each mail is sent, so a rotated one applies to retries. */
export async function smtpPassword(auth: NonNullable<SmtpConfig['auth']>): Promise<string> {
  if (auth.passwordEnv) {
    const value = process.env[auth.passwordEnv];
    if (!value) throw new MailAttemptFailed(`${auth.passwordEnv} is not set in the worker`, false);
    return value;
  }
  if (auth.passwordFile) {
    try {
      return (await readFile(auth.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      // The path is the operator's; the error names it, never its content.
      throw new MailAttemptFailed(
        `cannot read mail.smtp.auth.passwordFile: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        false,
      );
    }
  }
  throw new MailAttemptFailed('mail.smtp.auth has no passwordEnv or passwordFile', false);
}

/** Sends through the relay with nodemailer: one connection per mail, the composed bytes as they are. */
export function smtpSender(config: SmtpConfig): MailSender {
  return {
    origin: `smtp://${config.host}:${config.port}`,
    async send(job) {
      const auth = config.auth
        ? { user: config.auth.user, pass: await smtpPassword(config.auth) }
        : undefined;
      const transport = createTransport({
        host: config.host,
        port: config.port,
        secure: config.tls === 'implicit',
        requireTLS: config.tls === 'starttls',
        ignoreTLS: config.tls === 'none',
        connectionTimeout: config.timeoutMs,
        greetingTimeout: config.timeoutMs,
        socketTimeout: config.timeoutMs,
        ...(auth ? { auth } : {}),
      });
      try {
        const info = await transport.sendMail({ envelope: job.envelope, raw: job.raw });
        const code = Number.parseInt(String(info.response).slice(0, 3), 10);
        return { response: String(info.response), ...(code ? { statusCode: code } : {}) };
      } catch (error) {
        throw smtpFailure(error as Error & { responseCode?: number; code?: string });
      } finally {
        transport.close();
      }
    },
  };
}

/**
 * A 5xx reply is final (the server refused this message or these credentials); a 4xx or a
 * connection that failed may succeed later. The message is nodemailer's, which names the
 * command and the reply, never the password.
 */
function smtpFailure(error: Error & { responseCode?: number; code?: string }): MailAttemptFailed {
  const code = error.responseCode;
  const retryable = code === undefined ? error.code !== 'EENVELOPE' : code < 500;
  return new MailAttemptFailed(error.message, retryable, code);
}

/** The dry run: each mail is appended to the mbox, ready for `git send-email` or a mail client. */
export function mboxSender(path: string): MailSender {
  return {
    origin: 'mbox (dry run)',
    async send(job) {
      await appendToMbox(path, mboxEntry(job.raw, job.envelope.from, new Date()));
      return {};
    },
  };
}

/** The sender a `mail` section asks for: the dry run's mbox wins over a relay. */
export function mailSenderFor(config: MailConfig): MailSender | undefined {
  if (config.mbox) return mboxSender(config.mbox);
  return config.smtp ? smtpSender(config.smtp) : undefined;
}
