import { type LookupAddress } from 'node:dns';
import net from 'node:net';
import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { z } from 'zod';
import { type CredentialDataOf } from '../credential-types';
import { credentialData, credentialField } from '../credentials';
import { NETWORK_HEARTBEAT_TIMEOUT_MS } from '../defaults';
import { defineNode, NodeError, type NodeContext } from '../node-definition';
import { createGuardedLookup } from '../net/address-guard';
import { isTemplate } from '../schema-helpers';

const CONNECT_TIMEOUT_MS = 15_000;
const SOCKET_TIMEOUT_MS = 60_000;
const MAX_RECIPIENTS = 100;
/** nodemailer error codes that a retry cannot fix (bad credentials, refused message, TLS required…). */
const PERMANENT_CODES = ['EAUTH', 'ETLS', 'EENVELOPE', 'EMESSAGE', 'EREQUIRETLS'];
/** Certificate problems (as in guarded-request): configuration, not a passing network failure. */
const TLS_CONFIG_ERRORS =
  /^(CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_)/;

// Quoted local parts and address literals are left out on purpose: flows send to ordinary mailboxes.
const EMAIL =
  /^[^\s@"<>(),;:\\[\]]+@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)*[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?$/u;

interface Mailbox {
  name: string;
  address: string;
}

/**
 * Parses one or more address lists (`a@x.test, "Ops" <ops@x.test>`) into mailboxes.
 * @returns the mailboxes, or the first entry that is not a valid address
 */
function parseMailboxes(value: string | string[]): { mailboxes: Mailbox[] } | { invalid: string } {
  const mailboxes: Mailbox[] = [];
  for (const entry of Array.isArray(value) ? value : [value]) {
    // addressparser silently drops text around a line break: a header injection must fail instead.
    if (/[\r\n]/.test(entry)) return { invalid: entry.trim() };
    if (!entry.trim()) continue;
    const parsed = addressparser(entry, { flatten: true });
    if (!parsed.length) return { invalid: entry };
    for (const mailbox of parsed) {
      if (!EMAIL.test(mailbox.address)) return { invalid: mailbox.address || mailbox.name || entry };
      mailboxes.push({ name: mailbox.name, address: mailbox.address });
    }
  }
  return { mailboxes };
}

/** Addresses: a string (comma-separated list allowed) or an array; literal ones are checked when the flow is saved. */
function addresses(description: string, required = false) {
  return z
    .union([z.string(), z.array(z.string())], {
      errorMap: () => ({ message: 'Must be an email address, a comma-separated list or an array of them' }),
    })
    .superRefine((value, ctx) => {
      const all = Array.isArray(value) ? value : [value];
      const literal = all.filter((v) => !isTemplate(v));
      const parsed = parseMailboxes(literal);
      if ('invalid' in parsed) {
        ctx.addIssue({ code: 'custom', message: `Invalid email address: ${parsed.invalid.slice(0, 200)}` });
      } else if (required && literal.length === all.length && !parsed.mailboxes.length) {
        ctx.addIssue({ code: 'custom', message: 'No address given' });
      }
    })
    .describe(description);
}

/** A rendered `{{ }}` template may give an object or number: mail text gets it as JSON / a string. */
function asText(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'string') return value;
  return typeof value === 'object' ? JSON.stringify(value, null, 2) : String(value);
}

/** Data of an `email-send` node as stored in a flow (strings may hold `{{ }}` templates). */
const dataSchema = z
  .object({
    to: addresses('Recipient(s): an address, a comma-separated list or an array', true),
    cc: addresses('Copy recipient(s)').optional(),
    bcc: addresses('Blind-copy recipient(s)').optional(),
    subject: z.preprocess(asText, z.string().min(1, 'Subject is required')).describe('Subject line'),
    body: z.preprocess(asText, z.string()).optional().describe('Plain-text body; objects are sent as JSON'),
    html: z
      .preprocess(asText, z.string())
      .optional()
      .describe('HTML body (sent with `body` as the text alternative)'),
    from: z
      .string()
      .superRefine((value, ctx) => {
        if (isTemplate(value)) return;
        const parsed = parseMailboxes(value);
        if ('invalid' in parsed)
          ctx.addIssue({ code: 'custom', message: `Invalid email address: ${parsed.invalid.slice(0, 200)}` });
        else if (parsed.mailboxes.length !== 1)
          ctx.addIssue({ code: 'custom', message: 'Exactly one sender address is required' });
      })
      .optional()
      .describe('Sender (`Name <address>` allowed); default SMTP_FROM'),
    reply_to: addresses('Reply-To address(es)').optional(),
    credential: credentialField(['smtp'])
      .optional()
      .describe('Id or name of an smtp credential (host, port, secure, username, password, from); default SMTP_URL'),
  })
  .strict()
  .refine((d) => d.body !== undefined || d.html !== undefined, {
    message: 'body or html is required',
    path: ['body'],
  });

type Data = z.infer<typeof dataSchema>;

function configError(message: string): NodeError {
  return new NodeError(message, { retryable: false, type: 'InvalidConfig' });
}

/** Mailboxes of a rendered address field; a template that rendered to something else fails here. */
function mailboxesOf(field: string, value: unknown, required: boolean): Mailbox[] {
  if (value === undefined || value === null || (Array.isArray(value) && !value.length && !required)) {
    if (required) throw configError(`${field}: no recipient given`);
    return [];
  }
  if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
    throw configError(`${field}: must be an email address or a list of them`);
  }
  const parsed = parseMailboxes(value);
  if ('invalid' in parsed)
    throw configError(`${field}: invalid email address: ${parsed.invalid.slice(0, 200)}`);
  if (required && !parsed.mailboxes.length) throw configError(`${field}: no recipient given`);
  return parsed.mailboxes;
}

/**
 * nodemailer's `getSocket`: opens the TCP connection itself, to the address the guard approved, so
 * the SMTP host obeys the same private-address rules (and HTTP_ALLOWED_HOSTS) as HTTP nodes. TLS
 * (smtps or STARTTLS) is then negotiated by nodemailer over this socket, with the host name for SNI.
 */
function guardedSocket(allowedHosts: readonly string[], signal: AbortSignal) {
  const lookup = createGuardedLookup(allowedHosts);
  return (
    options: SMTPTransport.Options,
    callback: (err: Error | null, socketOptions: object | false) => void,
  ) => {
    const host = options.host ?? 'localhost';
    const port = Number(options.port) || (options.secure ? 465 : 587);
    lookup(host, { all: true }, (lookupErr, found) => {
      if (lookupErr) return callback(lookupErr, false);
      const [target] = found as LookupAddress[];
      const socket = net.connect({ host: target.address, port, family: target.family });
      const fail = (err: Error) => {
        cleanup();
        socket.destroy();
        callback(err, false);
      };
      const onAbort = () => fail(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      const timer = setTimeout(
        () =>
          fail(Object.assign(new Error(`Connection to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })),
        CONNECT_TIMEOUT_MS,
      );
      const cleanup = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.removeListener('error', fail);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('error', fail);
      socket.once('connect', () => {
        cleanup();
        callback(null, { connection: socket });
      });
    });
  };
}

const TIMEOUTS = {
  connectionTimeout: CONNECT_TIMEOUT_MS,
  greetingTimeout: CONNECT_TIMEOUT_MS,
  socketTimeout: SOCKET_TIMEOUT_MS,
};

/** Transport of an smtp credential: its server and login, never SMTP_URL's. */
function credentialTransport(smtp: CredentialDataOf<'smtp'>, ctx: NodeContext): SMTPTransport.Options {
  const secure = smtp.secure ?? smtp.port === 465;
  return {
    host: smtp.host,
    port: smtp.port ?? (secure ? 465 : 587),
    secure,
    ...(smtp.username !== undefined && smtp.username !== '' && { auth: { user: smtp.username, pass: smtp.password ?? '' } }),
    ...TIMEOUTS,
    getSocket: guardedSocket(ctx.services.httpAllowedHosts, ctx.signal),
  };
}

function urlTransport(url: string, ctx: NodeContext): SMTPTransport.Options {
  if (!/^smtps?:\/\//i.test(url)) throw configError('SMTP_URL must start with smtp:// or smtps://');
  const {
    proxy: _proxy,
    socket: _socket,
    connection: _connection,
    ...options
  } = parseConnectionUrl(url) as SMTPTransport.Options & {
    proxy?: unknown;
    socket?: unknown;
    connection?: unknown;
  };
  return { ...options, ...TIMEOUTS, getSocket: guardedSocket(ctx.services.httpAllowedHosts, ctx.signal) };
}

/** SMTP failures: 4xx replies and connection problems are temporary; 5xx replies and bad config are not. */
function smtpError(
  err: Error & { code?: string; originalCode?: string; responseCode?: number; command?: string },
): NodeError {
  const { code, originalCode, responseCode, command } = err;
  const rejected = responseCode !== undefined && responseCode >= 500;
  const temporary = responseCode !== undefined && responseCode >= 400 && responseCode < 500;
  const permanentCode =
    PERMANENT_CODES.includes(code ?? '') ||
    TLS_CONFIG_ERRORS.test(originalCode ?? '') ||
    TLS_CONFIG_ERRORS.test(code ?? '');
  const retryable = temporary || (!rejected && !permanentCode);
  const type = rejected
    ? 'SmtpRejected'
    : temporary
      ? 'SmtpTemporaryFailure'
      : retryable
        ? 'SmtpConnectionError'
        : 'SmtpError';
  return new NodeError(`Sending email failed: ${err.message}`, {
    retryable,
    type,
    details: { code: originalCode ?? code, response_code: responseCode, command },
  });
}

function addressText(entry: string | { address: string }): string {
  return typeof entry === 'string' ? entry : entry.address;
}

/** Sends an email through the SMTP server of an smtp credential or SMTP_URL. */
export const emailSendNode = defineNode({
  type: 'email-send',
  aliases: ['email_send', 'send-email', 'send_email', 'email'],
  name: 'Send Email',
  category: 'action',
  description:
    'Sends an email (plain-text `body` and/or `html`) to `to`, `cc` and `bcc` through the SMTP server of the smtp ' +
    'credential named in `credential`, or of SMTP_URL, from `from`, the credential\'s `from` or SMTP_FROM. Addresses are checked after rendering. Outputs `{message_id, accepted, rejected}` as `result`. ' +
    'Connection failures and 4xx SMTP replies are retried; 5xx rejections (e.g. every recipient refused) fail at once. ' +
    'The SMTP host must pass the private-address guard unless listed in HTTP_ALLOWED_HOSTS.',
  kind: 'activity',
  ports: ['default'],
  dataSchema,
  credentials: { types: ['smtp'] },
  outputSchema: z.object({
    result: z.object({
      message_id: z.string().describe('Message-ID header of the sent mail'),
      accepted: z.array(z.string()).describe('Recipients the server accepted'),
      rejected: z.array(z.string()).describe('Recipients the server refused (the others still got the mail)'),
    }),
  }),
  defaults: {
    timeout_ms: 120_000,
    retry: { max_attempts: 5, initial_interval_ms: 5_000, backoff_coefficient: 2 },
    // The wrapper heartbeats every second while it talks to the server: a dead worker is noticed in 10 s.
    heartbeat_ms: NETWORK_HEARTBEAT_TIMEOUT_MS,
  },
  example: { to: 'ops@example.com', subject: 'Daily report', body: '{{ analyze.result }}' },
  exampleOutput: { result: { message_id: '<3f2a9c1e.1706693400@example.com>', accepted: ['ops@example.com'], rejected: [] } },
  async execute(data: Data, ctx) {
    const smtp = credentialData(ctx.credential(), 'smtp');
    const url = ctx.services.smtp.url;
    if (!smtp && !url)
      throw new NodeError('SMTP_URL is not configured', { retryable: false, type: 'SmtpNotConfigured' });

    const to = mailboxesOf('to', data.to, true);
    const cc = mailboxesOf('cc', data.cc, false);
    const bcc = mailboxesOf('bcc', data.bcc, false);
    const count = to.length + cc.length + bcc.length;
    if (count > MAX_RECIPIENTS)
      throw configError(`Too many recipients: ${count} (at most ${MAX_RECIPIENTS})`);
    const from = mailboxesOf('from', data.from ?? smtp?.from ?? ctx.services.smtp.from, true);
    if (from.length !== 1) throw configError('from: exactly one sender address is required');
    const replyTo = mailboxesOf('reply_to', data.reply_to, false);

    const transporter = nodemailer.createTransport(smtp ? credentialTransport(smtp, ctx) : urlTransport(url!, ctx));
    const started = Date.now();
    let info: SMTPTransport.SentMessageInfo;
    try {
      info = await transporter.sendMail({
        from: from[0],
        to,
        cc,
        bcc,
        ...(replyTo.length && { replyTo }),
        // A line break in a subject is a header-injection attempt or a template accident: fold it.
        subject: data.subject.replace(/[\r\n]+/g, ' '),
        ...(data.body !== undefined && { text: data.body }),
        ...(data.html !== undefined && { html: data.html }),
        signal: ctx.signal,
      } as SMTPTransport.MailOptions);
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
      const error = err instanceof NodeError ? err : smtpError(err as Error);
      ctx.log(
        'warn',
        `Email to ${count} recipient(s) failed after ${Date.now() - started} ms: ${error.message}`,
        {
          retryable: error.options.retryable,
          duration_ms: Date.now() - started,
        },
      );
      throw error;
    } finally {
      transporter.close();
    }
    const result = {
      message_id: info.messageId,
      accepted: info.accepted.map(addressText),
      rejected: info.rejected.map(addressText),
    };
    ctx.log(
      result.rejected.length ? 'warn' : 'info',
      `Email sent to ${result.accepted.length} recipient(s)` +
        (result.rejected.length ? `, ${result.rejected.length} refused` : '') +
        ` (${Date.now() - started} ms)`,
      { message_id: result.message_id, accepted: result.accepted.length, rejected: result.rejected.length },
    );
    return { output: { result } };
  },
});
