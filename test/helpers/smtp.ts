/**
 * A real SMTP server on loopback (smtp-server, port 0) that keeps every accepted mail, parsed by
 * mailparser, together with its raw text. A mail is in `mails` before the server answers 250, so
 * once the sender's sendMail resolved the mail is there (no waiting). `down('reject')` answers new
 * connections with 421; `down('refuse')` stops listening (connection refused) until `up()`.
 * It offers no STARTTLS, so a credentialed smtp:// URL needs SMTP_ALLOW_PLAIN_AUTH=1 (`env` has both);
 * `clientBytes` is everything any client wrote, to check what never reached the server.
 */
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterEach } from 'vitest';

export interface ReceivedMail {
  readonly parsed: ParsedMail;
  readonly raw: string;
  readonly envelopeTo: string[];
  readonly authUser: string | null;
}

export interface SmtpPeer {
  readonly port: number;
  /** smtp://user:pass@127.0.0.1:port */
  readonly url: string;
  readonly user: string;
  readonly pass: string;
  readonly mails: ReceivedMail[];
  /** SMTP_URL, and SMTP_ALLOW_PLAIN_AUTH=1 because this peer offers no STARTTLS. */
  readonly env: { readonly SMTP_URL: string; readonly SMTP_ALLOW_PLAIN_AUTH: '1' };
  /** Every byte clients sent, as text (commands, AUTH lines, data). */
  clientBytes(): string;
  /** Connections seen (also rejected ones). */
  connections: number;
  down(mode: 'reject' | 'refuse'): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const peers: SmtpPeer[] = [];
afterEach(async () => {
  while (peers.length > 0) await peers.pop()!.close();
});

export async function startSmtp(options: { user?: string; pass?: string } = {}): Promise<SmtpPeer> {
  const user = options.user ?? 'mailer';
  const pass = options.pass ?? 'smtp-pass-S3cret!';
  const mails: ReceivedMail[] = [];
  const received: Buffer[] = [];
  let rejecting = false;
  let listening = false;
  let port = 0;

  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS offered, so AUTH over plain text must be allowed.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onConnect(_session, callback) {
      peer.connections += 1;
      if (rejecting) return callback(Object.assign(new Error('Service not available, try later'), { responseCode: 421 }));
      callback();
    },
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error('Authentication failed'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw)
          .then((parsed) => {
            mails.push({
              parsed,
              raw,
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
              authUser: typeof session.user === 'string' ? session.user : null,
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.server.off('error', reject);
        port = (server.server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.server.close(() => resolve());
    });

  // A second reader of each socket next to smtp-server's own: it sees the same bytes.
  server.server.on('connection', (socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
  await listen();
  const url = `smtp://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}`;
  const peer: SmtpPeer = {
    port,
    url,
    user,
    pass,
    mails,
    env: { SMTP_URL: url, SMTP_ALLOW_PLAIN_AUTH: '1' },
    clientBytes: () => Buffer.concat(received).toString('latin1'),
    connections: 0,
    down: async (mode) => {
      if (mode === 'reject') rejecting = true;
      else await stop();
    },
    up: async () => {
      rejecting = false;
      if (!listening) await listen();
    },
    close: async () => {
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  peers.push(peer);
  return peer;
}
