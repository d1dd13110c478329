// A real DNS server for discovery tests: Debian's dnsmasq on 127.0.0.1 at a port free at start,
// answering only from files the test writes (no upstream, no /etc/hosts). Names under `domain`
// that the hosts file lacks get NXDOMAIN. Everything it starts, it stops (by pid).
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../kit/wait.js';

export const DNSMASQ = '/usr/sbin/dnsmasq';

export interface DnsServer {
  port: number;
  /** Rewrites the hosts file ("ADDRESS NAME" lines) and makes dnsmasq re-read it (SIGHUP). */
  setHosts(lines: readonly string[]): Promise<void>;
  /** Rewrites the servers file (`server=/NAME/ADDR#PORT` lines; SIGHUP re-reads it too). */
  setServers(lines: readonly string[]): Promise<void>;
  /** SRV records only change with a restart: restarts on the same port with these. */
  restart(srv: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface DnsServerOptions {
  /** Names under it are answered locally only (NXDOMAIN when unknown). */
  domain: string;
  hosts: readonly string[];
  /** `--srv-host=` values: "_http._tcp.app.test,target.test,PORT,PRIORITY,WEIGHT". */
  srv?: readonly string[];
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'golb-dns-'));
  const hostsFile = join(dir, 'hosts');
  const serversFile = join(dir, 'servers');
  writeFileSync(hostsFile, opts.hosts.join('\n') + '\n');
  writeFileSync(serversFile, '');
  let child: ChildProcess | undefined;
  let port = 0;
  let stderr = '';

  const probe = new Resolver({ timeout: 300, tries: 1 });
  const answers = async () => {
    try {
      await probe.resolve4(`probe.${opts.domain}`);
      return true;
    } catch (err) {
      // NXDOMAIN is an answer: the server is up.
      return (err as NodeJS.ErrnoException).code === 'ENOTFOUND';
    }
  };

  const launch = async (srv: readonly string[]) => {
    const args = [
      '--no-daemon',
      '--no-resolv',
      '--no-hosts',
      `--port=${port}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--addn-hosts=${hostsFile}`,
      `--servers-file=${serversFile}`,
      `--local=/${opts.domain}/`,
      '--pid-file=',
      ...srv.map((s) => `--srv-host=${s}`),
    ];
    stderr = '';
    const c = spawn(DNSMASQ, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', () => {});
    child = c;
    probe.setServers([`127.0.0.1:${port}`]);
    const exited = new Promise<boolean>((r) => c.once('exit', () => r(false)));
    const up = await Promise.race([waitFor('dnsmasq to answer', answers, 5000).then(() => true, () => false), exited]);
    if (!up) {
      c.kill('SIGKILL');
      child = undefined;
    }
    return up;
  };

  // The port was free a moment ago; another process may take it first: try a few.
  let started = false;
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = await freeUdpPort();
    started = await launch(opts.srv ?? []);
  }
  if (!started) throw new Error(`dnsmasq did not start: ${stderr}`);

  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await gone;
  };
  const hup = async () => {
    // dnsmasq logs "read FILE - N names" on each re-read: wait until it has happened.
    const before = stderr.split('read ').length;
    child?.kill('SIGHUP');
    await waitFor('dnsmasq to re-read its files', () => stderr.split('read ').length > before, 5000);
  };

  return {
    port,
    async setHosts(lines) {
      writeFileSync(hostsFile, lines.join('\n') + '\n');
      await hup();
    },
    async setServers(lines) {
      writeFileSync(serversFile, lines.join('\n') + '\n');
      await hup();
    },
    async restart(srv) {
      await stop();
      if (!(await launch(srv))) throw new Error(`dnsmasq did not restart on port ${port}: ${stderr}`);
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
