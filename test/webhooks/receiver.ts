/** A webhook receiver on 127.0.0.1: records every request and answers with a programmable status. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  /** Status of the n-th request (1-based); default 200. */
  status: (n: number) => number = () => 200;
  connections = 0;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    let self!: Receiver;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        self.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
        const status = self.status(self.requests.length);
        // A large answer: the sender reads at most 64 KiB and ignores it.
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? 'x'.repeat(200_000) : 'ok');
      });
    });
    server.on('connection', () => {
      self.connections += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  reset(): void {
    this.requests.length = 0;
    this.connections = 0;
    this.status = () => 200;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
