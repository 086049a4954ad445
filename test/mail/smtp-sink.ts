/**
 * A loopback SMTP sink for the mail tests (checks C4, X4, L6): `smtp-server` on 127.0.0.1, an ephemeral port,
 * no TLS, no authentication. Every accepted message is parsed with mailparser and kept with its envelope and its
 * raw source. `refuse(true)` turns the sink into an outage: each new connection is answered with a 421 greeting
 * from onConnect and closed, as a mail server that is down for maintenance does.
 */
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface SinkMessage {
  /** SMTP envelope: what the server was asked to deliver to (a Bcc would show up here). */
  envelope: { from: string | null; to: string[] };
  /** Parsed headers, lower-case names (mailparser). */
  headers: ParsedMail['headers'];
  /** Raw header lines as received (unfolded key, full line). */
  headerLines: { key: string; line: string }[];
  from: string[];
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** The message exactly as received (CRLF line ends). */
  raw: string;
  messageId: string | undefined;
  idempotencyKey: string | undefined;
  receivedAt: number;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

function headerText(headers: ParsedMail['headers'], name: string): string | undefined {
  const v = headers.get(name);
  return typeof v === 'string' ? v : undefined;
}

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  /** Connections answered with an error while refusing. */
  refusedConnections = 0;
  /** Every connection the server saw (accepted or refused). */
  connections = 0;
  /** Errors while parsing a received message (should stay empty). */
  readonly parseErrors: Error[] = [];
  #refusing = false;
  #waiters = new Set<() => void>();
  #pending = new Set<Promise<void>>();

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  /** Starts a sink on 127.0.0.1:<ephemeral port>. */
  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      disableReverseLookup: true, // no DNS: loopback only, and a reverse lookup costs ~100 ms per connection
      banner: 'sceau test sink',
      size: 10 * 1024 * 1024,
      onConnect(_session: SMTPServerSession, callback) {
        if (!sink) return callback();
        sink.connections++;
        if (sink.#refusing) {
          sink.refusedConnections++;
          return callback(Object.assign(new Error('Service not available (test outage)'), { responseCode: 421 }));
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (err: Error) => callback(err));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const envelope = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address.toLowerCase() : null,
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          };
          // The 250 reply is sent only once the message is recorded: "accepted" means "in the sink".
          const done = sink!.#record(raw, envelope).then(
            () => callback(),
            (err: Error) => callback(err),
          );
          sink!.#pending.add(done);
          void done.finally(() => sink!.#pending.delete(done));
        });
      },
    });
    server.on('error', () => undefined); // a client dropping the connection must not crash the test run
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    const address = server.server.address();
    if (!address || typeof address === 'string') throw new Error('SMTP sink: no port');
    sink = new SmtpSink(server, address.port);
    return sink;
  }

  /**
   * nodemailer connection URL for this sink: plain SMTP on loopback. `ignoreTLS` makes sure no STARTTLS is ever
   * tried (the sink does not offer it anyway), `secure=false` keeps implicit TLS off.
   */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}?ignoreTLS=true&secure=false`;
  }

  async #record(raw: Buffer, envelope: SinkMessage['envelope']): Promise<void> {
    try {
      const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
      this.messages.push({
        envelope,
        headers: parsed.headers,
        headerLines: parsed.headerLines.map((h) => ({ key: h.key, line: h.line })),
        from: addresses(parsed.from),
        to: addresses(parsed.to),
        subject: parsed.subject ?? '',
        text: parsed.text ?? '',
        html: typeof parsed.html === 'string' ? parsed.html : '',
        raw: raw.toString('utf8'),
        messageId: parsed.messageId,
        idempotencyKey: headerText(parsed.headers, 'x-idempotency-key'),
        receivedAt: Date.now(),
      });
    } catch (err) {
      this.parseErrors.push(err as Error);
      throw err;
    }
    for (const wake of this.#waiters) wake();
  }

  /** Outage switch: while on, every new connection is refused in onConnect. */
  refuse(on: boolean): void {
    this.#refusing = on;
  }

  get isRefusing(): boolean {
    return this.#refusing;
  }

  /** Number of distinct X-Idempotency-Key values received (what a deduplicating receiver delivers). */
  uniqueKeys(): number {
    return new Set(this.messages.map((m) => m.idempotencyKey).filter((k) => k !== undefined)).size;
  }

  /** How many times each key was received (a value above 1 is a duplicate delivery). */
  keyCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of this.messages) {
      const key = m.idempotencyKey ?? '(none)';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  to(address: string): SinkMessage[] {
    const a = address.toLowerCase();
    return this.messages.filter((m) => m.envelope.to.includes(a));
  }

  /** Resolves once `predicate` holds (checked after every message); rejects after `timeoutMs`. */
  async waitFor(predicate: (messages: SinkMessage[]) => boolean, timeoutMs = 20_000, what = 'messages'): Promise<void> {
    if (predicate(this.messages)) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.messages)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`SMTP sink: timed out after ${timeoutMs} ms waiting for ${what} (have ${this.messages.length})`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }

  /** Waits until at least `count` messages were received. */
  waitForCount(count: number, timeoutMs = 20_000): Promise<void> {
    return this.waitFor((m) => m.length >= count, timeoutMs, `${count} message(s)`);
  }

  /** Forget what was received (between tests) and stop refusing. */
  reset(): void {
    this.messages.length = 0;
    this.parseErrors.length = 0;
    this.refusedConnections = 0;
    this.connections = 0;
    this.#refusing = false;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
