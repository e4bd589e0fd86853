import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { NodeError } from '../../src/nodes/node-definition';
import { getNodeDefinition } from '../../src/nodes/registry';
import { emailSendNode } from '../../src/nodes/types/email-send';
import { makeNodeContext, type NodeContextOverrides } from '../helpers/node-context';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** A header of a raw message (unfolded), or undefined. */
function header(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];
}

function withCode(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

describe('email-send node', () => {
  let server: SMTPServer;
  let smtpUrl: string;
  let connections = 0;
  const received: Received[] = [];

  before(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onConnect(_session, cb) {
        connections++;
        cb();
      },
      onRcptTo(address, _session, cb) {
        if (address.address.startsWith('nobody@')) return cb(withCode('No such user', 550));
        if (address.address.startsWith('busy@')) return cb(withCode('Mailbox busy, try later', 451));
        cb();
      },
      onData(stream, session: SMTPServerSession, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    server.on('error', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    smtpUrl = `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    received.length = 0;
    connections = 0;
  });

  function context(overrides: NodeContextOverrides = {}) {
    return makeNodeContext({
      ...overrides,
      services: {
        httpAllowedHosts: ['127.0.0.1'],
        smtp: { url: smtpUrl, from: 'Flows <flows@example.test>' },
        ...overrides.services,
      },
    });
  }

  async function send(data: Record<string, unknown>, overrides?: NodeContextOverrides) {
    const ctx = context(overrides);
    const out = await emailSendNode.execute!(emailSendNode.dataSchema.parse(data), ctx);
    return {
      ctx,
      result: out.output.result as { message_id: string; accepted: string[]; rejected: string[] },
    };
  }

  async function failure(
    data: Record<string, unknown>,
    overrides?: NodeContextOverrides,
  ): Promise<NodeError> {
    try {
      await emailSendNode.execute!(data as never, context(overrides));
    } catch (err) {
      assert.ok(err instanceof NodeError, `expected a NodeError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected sending to fail');
  }

  it('delivers subject, text body and every recipient to the SMTP server', async () => {
    const { result, ctx } = await send({
      to: 'ops@example.test, "Dev Team" <dev@example.test>',
      cc: ['cc@example.test'],
      bcc: 'hidden@example.test',
      subject: 'Daily report',
      body: 'All devices are fine.\nSee you tomorrow.',
    });
    assert.equal(received.length, 1);
    const mail = received[0];
    assert.equal(mail.from, 'flows@example.test');
    assert.deepEqual(mail.to, [
      'ops@example.test',
      'dev@example.test',
      'cc@example.test',
      'hidden@example.test',
    ]);
    assert.equal(header(mail.raw, 'Subject'), 'Daily report');
    assert.match(header(mail.raw, 'To')!, /^ops@example\.test, "?Dev Team"? <dev@example\.test>$/);
    assert.equal(header(mail.raw, 'Cc'), 'cc@example.test');
    assert.equal(header(mail.raw, 'Bcc'), undefined, 'bcc is not shown to recipients');
    assert.match(mail.raw, /All devices are fine\.\r?\nSee you tomorrow\./);

    assert.match(result.message_id, /^<.+@.+>$/);
    assert.equal(header(mail.raw, 'Message-ID'), result.message_id);
    assert.equal(result.accepted.length, 4);
    assert.deepEqual(result.rejected, []);
    assert.ok(ctx.logs.some((l) => l.level === 'info' && /sent to 4 recipient/.test(l.message)));
  });

  it('sends html with the text alternative, a custom from and reply-to, and JSON for object bodies', async () => {
    await send({
      to: ['a@example.test'],
      from: 'Reports <reports@example.test>',
      reply_to: 'help@example.test',
      subject: 'HTML',
      body: 'plain version',
      html: '<p>rich <b>version</b></p>',
    });
    const mail = received[0];
    assert.equal(mail.from, 'reports@example.test');
    assert.equal(header(mail.raw, 'Reply-To'), 'help@example.test');
    assert.match(header(mail.raw, 'Content-Type')!, /multipart\/alternative/);
    assert.match(mail.raw, /plain version/);
    assert.match(mail.raw, /<p>rich <b>version<\/b><\/p>/);

    await send({ to: 'a@example.test', subject: 'Data', body: { devices: 3 } });
    assert.match(received[1].raw, /"devices": 3/);
  });

  it('keeps a line break in the subject from injecting headers', async () => {
    await send({ to: 'a@example.test', subject: 'Hi\r\nBcc: evil@example.test', body: 'x' });
    assert.deepEqual(received[0].to, ['a@example.test']);
    assert.equal(header(received[0].raw, 'Bcc'), undefined);
  });

  it('reports recipients the server refused while delivering to the others', async () => {
    const { result } = await send({
      to: 'ok@example.test, nobody@example.test',
      subject: 'Partial',
      body: 'x',
    });
    assert.deepEqual(result.accepted, ['ok@example.test']);
    assert.deepEqual(result.rejected, ['nobody@example.test']);
    assert.deepEqual(received[0].to, ['ok@example.test']);
  });

  it('fails non-retryably on a 5xx rejection and retryably on a 4xx one', async () => {
    const rejected = await failure({ to: 'nobody@example.test', subject: 's', body: 'x' });
    assert.equal(rejected.options.retryable, false);
    assert.equal(rejected.options.type, 'SmtpRejected');

    const busy = await failure({ to: 'busy@example.test', subject: 's', body: 'x' });
    assert.equal(busy.options.retryable, true);
    assert.equal(busy.options.type, 'SmtpTemporaryFailure');
    assert.equal(received.length, 0);
  });

  it('makes a refused connection retryable', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(
      { to: 'a@example.test', subject: 's', body: 'x' },
      { services: { smtp: { url: `smtp://127.0.0.1:${port}`, from: 'f@example.test' } } },
    );
    assert.equal(err.options.retryable, true);
    assert.equal(err.options.type, 'SmtpConnectionError');
  });

  it('stops at once when the run is cancelled', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket)); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const controller = new AbortController();
      const url = `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('run cancelled')), 100);
      await assert.rejects(
        emailSendNode.execute!(
          { to: 'a@example.test', subject: 's', body: 'x' } as never,
          context({
            signal: controller.signal,
            services: { smtp: { url, from: 'f@example.test' } },
          }),
        ),
        /run cancelled/,
      );
      assert.ok(Date.now() - started < 2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses a loopback SMTP host that is not in HTTP_ALLOWED_HOSTS, before connecting', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const port = (server.server.address() as AddressInfo).port;
      const err = await failure(
        { to: 'a@example.test', subject: 's', body: 'x' },
        {
          services: { httpAllowedHosts: [], smtp: { url: `smtp://${host}:${port}`, from: 'f@example.test' } },
        },
      );
      assert.equal(err.options.type, 'AddressBlocked', host);
      assert.equal(err.options.retryable, false);
    }
    assert.equal(connections, 0);
  });

  it('negotiates TLS over the guarded connection (smtps and STARTTLS); a bad certificate is not retried', async () => {
    for (const secure of [true, false]) {
      let tls = false;
      const tlsServer = new SMTPServer({
        secure,
        authOptional: true,
        logger: false,
        onData(stream, session, cb) {
          tls = Boolean(session.secure);
          stream.resume().on('end', () => cb());
        },
      });
      tlsServer.on('error', () => {});
      await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
      try {
        const url = `${secure ? 'smtps' : 'smtp'}://127.0.0.1:${(tlsServer.server.address() as AddressInfo).port}`;
        const data = { to: 'a@example.test', subject: 's', body: 'x' };
        // smtp-server's built-in certificate is self-signed.
        const trusted = {
          services: { smtp: { url: `${url}?tls.rejectUnauthorized=false`, from: 'f@example.test' } },
        };
        assert.deepEqual((await send(data, trusted)).result.accepted, ['a@example.test']);
        assert.equal(tls, true, secure ? 'smtps' : 'STARTTLS');

        const err = await failure(data, { services: { smtp: { url, from: 'f@example.test' } } });
        assert.equal(err.options.retryable, false, err.message);
      } finally {
        await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
      }
    }
  });

  it("sends through an smtp credential's server with its login and sender, without SMTP_URL", async () => {
    const logins: { username?: string; password?: string }[] = [];
    const authServer = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, cb) {
        logins.push({ username: auth.username, password: auth.password ?? undefined });
        cb(null, { user: auth.username });
      },
      onData(stream, session, cb) {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: [], raw: '' });
        stream.resume().on('end', () => cb());
      },
    });
    authServer.on('error', () => {});
    await new Promise<void>((resolve) => authServer.listen(0, '127.0.0.1', resolve));
    try {
      const port = (authServer.server.address() as AddressInfo).port;
      const smtp = { host: '127.0.0.1', port, secure: false, username: 'mailer', password: 'pw-0123456789', from: 'cred@example.test' };
      const { result } = await send(
        { to: 'a@example.test', subject: 's', body: 'x', credential: 'mail' },
        {
          credential: () => ({ id: 'c1', name: 'mail', type: 'smtp', data: smtp }),
          services: { smtp: { from: 'f@example.test' } },
        },
      );
      assert.deepEqual(result.accepted, ['a@example.test']);
      assert.deepEqual(logins, [{ username: 'mailer', password: 'pw-0123456789' }]);
      assert.equal(received.at(-1)!.from, 'cred@example.test');
    } finally {
      await new Promise<void>((resolve) => authServer.close(() => resolve()));
    }
  });

  it('fails non-retryably without SMTP_URL', async () => {
    const err = await failure(
      { to: 'a@example.test', subject: 's', body: 'x' },
      { services: { smtp: { from: 'f@example.test' } } },
    );
    assert.equal(err.message, 'SMTP_URL is not configured');
    assert.equal(err.options.retryable, false);
  });

  it('checks addresses after rendering, non-retryably', async () => {
    for (const to of ['not an email', ['ok@example.test', 'a@@b'], '', []]) {
      const err = await failure({ to, subject: 's', body: 'x' });
      assert.equal(err.options.retryable, false, JSON.stringify(to));
      assert.equal(err.options.type, 'InvalidConfig');
    }
    assert.equal(connections, 0);
  });

  it('validates literal addresses when the flow is saved, leaving templates for run time', () => {
    const ok = (data: Record<string, unknown>) => emailSendNode.dataSchema.safeParse(data).success;
    assert.equal(
      ok({ to: 'ops@example.com', subject: '巡检报告', body: '{{analyze.result}}' }),
      true,
      'seed 002',
    );
    assert.equal(ok({ to: '{{ trigger.data.email }}', subject: 's', body: 'b' }), true);
    assert.equal(ok({ to: ['{{ vars.owner }}', 'ops@example.com'], subject: 's', html: '<p/>' }), true);
    assert.equal(ok({ to: 'ops', subject: 's', body: 'b' }), false);
    assert.equal(ok({ to: 'ops@example.com', subject: 's' }), false, 'body or html');
    assert.equal(ok({ to: 'ops@example.com', subject: '', body: 'b' }), false);
    assert.equal(ok({ to: 'a@example.com', subject: 's', body: 'b', from: 'a@x.test, b@x.test' }), false);
    for (const alias of ['email_send', 'send-email', 'send_email', 'email']) {
      assert.equal(getNodeDefinition(alias), emailSendNode, alias);
    }
  });
});
