// `@kbisect/notify/config`: the `mail` section's schema and its checks, without the delivery
// side (BullMQ, nodemailer), so the service config (and `kbisect run` through it) loads no queue.
export { MailConfig, mailConfigProblems, SmtpConfig } from './mail/mail-config.js';
