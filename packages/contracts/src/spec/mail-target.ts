import { type Static, Type } from 'typebox';

const Address = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s<>@,;:"()\\[\\]\\\\]+@[^\\s<>@,;:"()\\[\\]\\\\]+$',
  description: 'a plain address: user@example.org',
});

export const MAIL_STATUSES = ['found', 'inconclusive', 'not-distinguishable', 'error'] as const;
export type MailStatus = (typeof MAIL_STATUSES)[number];

/**
 * One `notify: [{ mail: … }]` entry of a bisect or a watch. A found culprit is mailed to
 * its author, Cc its committer, as LKP does; the addresses here are added. Other endings
 * are mailed only when `on` names them, and then only to the addresses here (there is no
 * author to tell).
 */
export const MailTarget = Type.Object(
  {
    mail: Type.Object(
      {
        to: Type.Optional(Type.Array(Address, { maxItems: 16, description: 'added to To:' })),
        cc: Type.Optional(
          Type.Array(Address, { maxItems: 16, description: 'added to Cc:, e.g. the list' }),
        ),
        inReplyTo: Type.Optional(
          Type.String({
            maxLength: 998,
            pattern: '^<[^<>\\s]+>$',
            description: 'the Message-ID of the thread the bisect was started for: <id@host>',
          }),
        ),
        on: Type.Optional(
          Type.Array(
            Type.Union([
              Type.Literal('found'),
              Type.Literal('inconclusive'),
              Type.Literal('not-distinguishable'),
              Type.Literal('error'),
            ]),
            {
              minItems: 1,
              maxItems: MAIL_STATUSES.length,
              description: 'the endings that send a mail (default: found only)',
            },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type MailTarget = Static<typeof MailTarget>;
