/**
 * Starts a private moto server (an independent AWS API emulator) on a free loopback port for one
 * test file. Tests use it where moto is a faithful second implementation: EC2 security groups and
 * EventBridge pattern matching with SQS targets. (Its AWS Config PutEvaluations accepts TestMode
 * calls but checks no field, so those tests also inspect what was sent.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
  /** e.g. http://127.0.0.1:50123 */
  readonly endpoint: string;
  /** Client settings that point an SDK v3 client at this server. */
  readonly clientConfig: {
    region: string;
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  /** Forget every resource, between tests. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const PYTHON = process.env.MOTO_PYTHON ?? 'python3';
export const MOTO_INSTALL_HINT =
  "moto is not installed for '" +
  PYTHON +
  "'. Install it with: python3 -m pip install 'moto[server]' cfn-lint (see README, 'Requirements').";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(endpoint: string, child: ChildProcess, deadlineMs: number) {
  const started = Date.now();
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() - started < deadlineMs) {
    if (exited) throw new Error(`moto server exited before it answered. ${MOTO_INSTALL_HINT}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto server did not answer at ${endpoint} within ${deadlineMs} ms`);
}

export async function startMoto(region = 'us-east-1'): Promise<MotoServer> {
  const probe = spawnSync(PYTHON, ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(MOTO_INSTALL_HINT);

  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(PYTHON, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, MOTO_CALL_RESET_API: 'true' },
  });
  await waitUntilUp(endpoint, child, 30_000);

  return {
    endpoint,
    clientConfig: {
      region,
      endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    },
    async reset() {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** One moto server for the calling test file: started before its tests, stopped after them. */
export function motoForFile(region?: string): () => MotoServer {
  let moto: MotoServer | undefined;
  beforeAll(async () => {
    moto = await startMoto(region);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });
  return () => {
    if (!moto) throw new Error('moto is not started yet: call it inside a test');
    return moto;
  };
}
