// A small TCP fault injector of our own (there is no toxiproxy here): it sits between golb and a
// backend and, per connection, passes bytes through, delays them, resets, swallows them, or
// delivers them in small slices. Plus a black-holed port: a listener that never accepts, so a
// connect to it hangs (the kernel's accept queue is full and further SYNs are dropped).
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';

export type Fault =
  /** Bytes pass through untouched. */
  | { kind: 'pass' }
  /** Each chunk, in both directions, is held back `ms` before it is passed on. */
  | { kind: 'latency'; ms: number }
  /**
   * The client connection is reset: at once (`afterBytes` undefined), or once `afterBytes` bytes of
   * the backend's response have been passed on (a reset mid-response).
   */
  | { kind: 'reset'; afterBytes?: number }
  /** Accepts and reads everything, forwards nothing, answers nothing. */
  | { kind: 'black-hole' }
  /** The backend's response is passed on `bytes` at a time, `gapMs` apart. */
  | { kind: 'slice'; bytes: number; gapMs: number };

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  /**
   * Accept-time faults (an immediate reset, black-hole) apply to connections accepted from now
   * on; the others (latency, slice, reset after N bytes counted from now) to open ones too, so a
   * pooled keep-alive connection meets them as well.
   */
  setFault(fault: Fault): void;
  /** Connections accepted so far. */
  accepted(): number;
  /** Bytes that reached the backend through this proxy. */
  bytesUp(): number;
  /** Closes every connection and the listener. */
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  let fault: Fault = { kind: 'pass' };
  let accepted = 0;
  let up = 0;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  const server = net.createServer((client) => {
    accepted++;
    track(client);
    const atAccept = fault;
    if (atAccept.kind === 'reset' && atAccept.afterBytes === undefined) {
      client.resetAndDestroy();
      return;
    }
    if (atAccept.kind === 'black-hole') {
      client.resume();
      return;
    }
    const backend = net.connect(target.port, target.host ?? '127.0.0.1');
    track(backend);
    let resetting = false;
    backend.on('close', () => (resetting ? client.resetAndDestroy() : client.destroy()));
    client.on('close', () => backend.destroy());

    // client → backend
    client.on('data', (chunk: Buffer) => {
      const f = fault;
      const send = () => {
        up += chunk.length;
        backend.write(chunk);
      };
      if (f.kind === 'latency') setTimeout(send, f.ms);
      else send();
    });

    // backend → client
    let down = 0;
    let countedFor: Fault | undefined;
    let queue = Promise.resolve();
    backend.on('data', (chunk: Buffer) => {
      const f = fault;
      if (f.kind === 'latency') {
        setTimeout(() => client.write(chunk), f.ms);
      } else if (f.kind === 'reset') {
        if (countedFor !== f) {
          countedFor = f;
          down = 0;
        }
        const room = f.afterBytes! - down;
        down += chunk.length;
        if (room <= chunk.length) {
          resetting = true;
          client.write(chunk.subarray(0, Math.max(0, room)), () => client.resetAndDestroy());
          backend.destroy();
        } else client.write(chunk);
      } else if (f.kind === 'slice') {
        backend.pause();
        queue = queue.then(async () => {
          for (let i = 0; i < chunk.length && !client.destroyed; i += f.bytes) {
            client.write(chunk.subarray(i, i + f.bytes));
            await new Promise((r) => setTimeout(r, f.gapMs));
          }
          backend.resume();
        });
      } else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    setFault(f) {
      fault = f;
    },
    accepted: () => accepted,
    bytesUp: () => up,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface BlackHole {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A port where connects hang: a child process listens with a backlog of 1 and then blocks its
 * event loop, so it never accepts; a few connections of ours fill the accept queue and every later
 * SYN is dropped. Closing kills that child (by its pid) and our filler sockets.
 */
export async function startBlackHole(): Promise<BlackHole> {
  const code = `
    const s = require('node:net').createServer();
    s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
      process.stdout.write(s.address().port + '\\n', () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
    });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
  });
  // Fill the accept queue: these connections complete in the kernel and are never accepted; once
  // one hangs, the queue is full and so will every later connect.
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const filler = net.connect(port, '127.0.0.1');
    filler.on('error', () => {});
    fillers.push(filler);
    const connected = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 200);
      filler.once('connect', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    if (!connected) break;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const f of fillers) f.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
