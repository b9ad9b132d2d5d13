// A WebSocket test client over loopback (ws): connect or see the refusal's status and body, then
// wait for messages and the close code as events.

import WebSocket from 'ws';

export interface Client {
  ws: WebSocket;
  /** Resolves with the next message not taken yet (text as string, JSON parsed when it is JSON). */
  next(timeoutMs?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
  send(data: unknown): void;
}

export interface Refused {
  status: number;
  body: any;
}

export function connect(url: string, headers: Record<string, string> = {}): Promise<Client | Refused> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  const inbox: any[] = [];
  const waiting: Array<(m: any) => void> = [];
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? data : data.toString();
    let m: any = text;
    if (typeof text === 'string') {
      try {
        m = JSON.parse(text);
      } catch {
        m = text;
      }
    }
    const w = waiting.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        closed,
        send: (d) => ws.send(typeof d === 'string' || Buffer.isBuffer(d) ? d : JSON.stringify(d)),
        next: (timeoutMs = 5000) =>
          inbox.length
            ? Promise.resolve(inbox.shift())
            : new Promise((res, rej) => {
                const t = setTimeout(() => rej(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
                waiting.push((m) => (clearTimeout(t), res(m)));
              }),
      }),
    );
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body ? JSON.parse(body) : undefined }));
    });
    ws.once('error', (err) => reject(err));
  });
}

export function isClient(c: Client | Refused): c is Client {
  return (c as Client).ws !== undefined;
}

export async function open(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const c = await connect(url, headers);
  if (!isClient(c)) throw new Error(`upgrade refused: ${c.status} ${JSON.stringify(c.body)}`);
  return c;
}
