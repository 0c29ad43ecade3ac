/**
 * A fault-injecting HTTP proxy between the SDK and moto server, for the fault suite. Per EC2
 * action and call number (every HTTP request counts, SDK retries included) it can answer an
 * error without forwarding, hold or drop or truncate the answer after forwarding, or run a hook
 * (change the group behind the client's back) before forwarding. After every write that reached
 * moto it samples the group's ingress through moto directly, before the client sees the answer.
 */
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { rulesFromIpPermissions, type Rule } from '../../handlers/policy/rules';
import type { MotoServer } from './moto';

export type Fault =
  /** Answer an EC2 error without forwarding (500 InternalError, 503 Unavailable). */
  | { readonly kind: 'status'; readonly status: 500 | 503 }
  /** Answer 503 RequestLimitExceeded without forwarding, as EC2 throttles. */
  | { readonly kind: 'throttle' }
  /** Never answer (until the proxy stops); `forward`: moto applies the request first. */
  | { readonly kind: 'hold'; readonly forward: boolean }
  /** Forward, then drop the connection: the write happened, the client sees an error. */
  | { readonly kind: 'drop' }
  /** Forward, then send half of the answer's body and close. */
  | { readonly kind: 'truncate' }
  /** Run this first (against moto directly), then forward. */
  | { readonly kind: 'hook'; readonly run: () => Promise<void> };

export type ProxyEvent =
  | {
      readonly seq: number;
      readonly kind: 'request';
      readonly action: string;
      /** 1-based, per action. */
      readonly call: number;
      readonly groupId?: string;
      readonly fault?: Fault['kind'];
      /** Which client sent it (the x-fault-client header), for concurrent invocations. */
      readonly client?: string;
    }
  | {
      readonly seq: number;
      readonly kind: 'sample';
      readonly groupId: string;
      readonly after: string;
      readonly ingress: readonly Rule[];
    }
  | { readonly seq: number; readonly kind: 'mark'; readonly label: string; readonly data: unknown };

export interface FaultProxy {
  /** Point an SDK client here (with moto's region and credentials). */
  readonly endpoint: string;
  readonly events: ProxyEvent[];
  /** Inject `fault` on these calls of `action` (1-based), or on every call. */
  inject(action: string, calls: number | readonly number[] | 'every', fault: Fault): void;
  /** Records something that happened outside the proxy (a log line) in the same sequence. */
  mark(label: string, data?: unknown): void;
  /** The group's ingress through moto, not through the proxy. */
  ingress(groupId: string): Promise<Rule[] | undefined>;
  requests(action?: string): Extract<ProxyEvent, { kind: 'request' }>[];
  samples(groupId: string): Extract<ProxyEvent, { kind: 'sample' }>[];
  /** No more faults from now on (a rerun). */
  clearFaults(): void;
  /** Forget faults, counts and events (between tests). */
  reset(): void;
  stop(): Promise<void>;
}

const WRITES = new Set(['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress']);

function ec2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>`;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 500,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

export async function startFaultProxy(moto: MotoServer): Promise<FaultProxy> {
  const target = new URL(moto.endpoint);
  const direct = new EC2Client(moto.clientConfig);
  const faults: { action: string; calls: readonly number[] | 'every'; fault: Fault }[] = [];
  const counts = new Map<string, number>();
  const events: ProxyEvent[] = [];
  const sockets = new Set<Socket>();
  let seq = 0;

  const ingress = async (groupId: string): Promise<Rule[] | undefined> => {
    try {
      const out = await direct.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
      return rulesFromIpPermissions(out.SecurityGroups?.[0]?.IpPermissions);
    } catch {
      return undefined; // deleted
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const params = new URLSearchParams(body.toString());
    const action = params.get('Action') ?? '?';
    const groupId = params.get('GroupId') ?? params.get('GroupId.1') ?? undefined;
    const call = (counts.get(action) ?? 0) + 1;
    counts.set(action, call);
    const fault = faults.find(
      (f) => f.action === action && (f.calls === 'every' || f.calls.includes(call)),
    )?.fault;
    const client = req.headers['x-fault-client'];
    events.push({
      seq: seq++,
      kind: 'request',
      action,
      call,
      ...(groupId ? { groupId } : {}),
      ...(fault ? { fault: fault.kind } : {}),
      ...(typeof client === 'string' ? { client } : {}),
    });

    if (fault?.kind === 'status' || fault?.kind === 'throttle') {
      const [code, message] =
        fault.kind === 'throttle'
          ? ['RequestLimitExceeded', 'Request limit exceeded.']
          : fault.status === 500
            ? ['InternalError', 'An internal error has occurred.']
            : ['Unavailable', 'The server is overloaded and cannot handle the request.'];
      res.writeHead(fault.kind === 'throttle' ? 503 : fault.status, { 'content-type': 'text/xml' });
      res.end(ec2Error(code, message));
      return;
    }
    if (fault?.kind === 'hold' && !fault.forward) return; // never answered
    if (fault?.kind === 'hook') await fault.run();

    const answer = await forward(target, req, body);
    if (WRITES.has(action) && groupId) {
      const now = await ingress(groupId);
      if (now)
        events.push({
          seq: seq++,
          kind: 'sample',
          groupId,
          after: `${action}#${call}`,
          ingress: now,
        });
    }
    if (fault?.kind === 'hold') return;
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    const headers = { ...answer.headers };
    if (fault?.kind === 'truncate') {
      res.writeHead(answer.status, headers);
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/xml' });
        res.end(ec2Error('InternalError', `fault proxy: ${String(err)}`));
      });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    inject(action, calls, fault) {
      faults.push({ action, calls: typeof calls === 'number' ? [calls] : calls, fault });
    },
    mark(label, data) {
      events.push({ seq: seq++, kind: 'mark', label, data });
    },
    ingress,
    requests: (action) =>
      events.filter(
        (e): e is Extract<ProxyEvent, { kind: 'request' }> =>
          e.kind === 'request' && (action === undefined || e.action === action),
      ),
    samples: (groupId) =>
      events.filter(
        (e): e is Extract<ProxyEvent, { kind: 'sample' }> =>
          e.kind === 'sample' && e.groupId === groupId,
      ),
    clearFaults() {
      faults.length = 0;
    },
    reset() {
      faults.length = 0;
      counts.clear();
      events.length = 0;
      for (const s of sockets) s.destroy();
    },
    stop() {
      for (const s of sockets) s.destroy();
      direct.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
