import { type Static, Type } from 'typebox';

const Mailbox = Type.String({
  minLength: 3,
  maxLength: 320,
  // A display name may be quoted; no line breaks, so no header can be smuggled in.
  pattern: '^[^\\r\\n]*@[^\\r\\n]*$',
  description: 'an address, with or without a name: "kbisect <kbisect@example.org>"',
});

export const SmtpConfig = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 255 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
    tls: Type.Union([Type.Literal('starttls'), Type.Literal('implicit'), Type.Literal('none')], {
      default: 'starttls',
      description:
        'starttls: upgrade the connection and refuse a server that cannot (port 587); implicit: TLS from the first byte (port 465); none: plain text, for a relay on loopback only',
    }),
    auth: Type.Optional(
      Type.Object(
        {
          user: Type.String({ minLength: 1, maxLength: 320 }),
          passwordEnv: Type.Optional(
            Type.String({
              pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$',
              description: "the worker's environment variable holding the password",
            }),
          ),
          passwordFile: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 4096,
              description: 'a file holding the password (hidden from build and oracle commands)',
            }),
          ),
        },
        {
          additionalProperties: false,
          description: 'the password is never in the config itself: name a variable or a file',
        },
      ),
    ),
    timeoutMs: Type.Integer({
      minimum: 100,
      maximum: 600_000,
      default: 30_000,
      description: 'deadline of one delivery, connect to the last reply',
    }),
  },
  { additionalProperties: false },
);

/**
 * The `mail` section of the service config: where regression reports are sent from and
 * through. Either an SMTP relay, or an mbox file (a dry run: every mail is appended there,
 * for `git send-email` or a mail client to send after a person has read it).
 */
export const MailConfig = Type.Object(
  {
    from: Mailbox,
    reportedBy: Type.Optional(
      Type.String({
        ...Mailbox,
        description: 'the identity of the Reported-by: tag the mail suggests (default: from)',
      }),
    ),
    smtp: Type.Optional(SmtpConfig),
    mbox: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'dry run: append every mail to this mbox file instead of sending it',
      }),
    ),
    getMaintainer: Type.Boolean({
      default: false,
      description:
        "for a tree with scripts/get_maintainer.pl: Cc the maintainers and lists it names for the culprit's files",
    }),
    attempts: Type.Integer({
      minimum: 1,
      maximum: 50,
      default: 8,
      description: 'deliveries of one mail at most',
    }),
    backoffMs: Type.Integer({
      minimum: 10,
      maximum: 3_600_000,
      default: 5000,
      description: 'wait before the first retry, doubled for each further one',
    }),
  },
  { additionalProperties: false },
);

export type MailConfig = Static<typeof MailConfig>;
export type SmtpConfig = Static<typeof SmtpConfig>;

/** What is wrong with a mail section that the schema cannot say; empty when it is usable. */
export function mailConfigProblems(config: MailConfig): string[] {
  const problems: string[] = [];
  if (!config.smtp && !config.mbox) problems.push('mail needs smtp (a relay) or mbox (a dry run)');
  const auth = config.smtp?.auth;
  if (auth && !auth.passwordEnv === !auth.passwordFile) {
    problems.push('mail.smtp.auth needs exactly one of passwordEnv and passwordFile');
  }
  return problems;
}
