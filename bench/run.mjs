// `npm run bench`: golb (both forwarding engines) against nginx and HAProxy as reference proxies,
// bare Node proxies on each engine, and the direct path, in one run on loopback. The proxy under
// test is pinned to CPU 0, wrk and the backends to CPU 1; every target is warmed up, then rounds
// interleave the targets and the table reports medians. Everything this script starts it stops,
// by pid.
//
// Usage: node bench/run.mjs [--quick] [--rounds N] [--duration S] [--warmup S]
//          [--targets a,b,...] [--scenarios a,b,...] [--soak MIN] [--profile DIR] [--out FILE]
//          [--baseline DIR]   also run DIR's golb build (base-undici, base-http-proxy): before/after
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    targets: { type: 'string' },
    scenarios: { type: 'string' },
    soak: { type: 'string' },
    profile: { type: 'string' },
    out: { type: 'string' },
    baseline: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.slice(3)).join('\n'));
  process.exit(0);
}

const ROUNDS = Number(flags.rounds ?? (flags.quick ? 1 : 3));
const DURATION_S = Number(flags.duration ?? (flags.quick ? 2 : 4));
const WARMUP_S = Number(flags.warmup ?? 6);
const SOAK_MIN = Number(flags.soak ?? 0);

/** name → how to run one measurement: connections, path, whether the target's sticky cookie is sent. */
const SCENARIOS = {
  plain: { label: 'plain RR, 100 B, c64', connections: 64, path: '/b100' },
  full: { label: 'full path (regex+prefix routes, WRR, cookie), 100 B, c64', connections: 64, path: '/api/b100', cookie: true },
  '1k': { label: 'plain RR, 1 KB, c64', connections: 64, path: '/1k' },
  '100k': { label: 'plain RR, 100 KB, c64', connections: 64, path: '/100k' },
  c256: { label: 'plain RR, 100 B, c256', connections: 256, path: '/b100' },
  c1: { label: 'latency, c1', connections: 1, path: '/b100', latencyOnly: true },
  c8: { label: 'latency, c8', connections: 8, path: '/b100', latencyOnly: true },
};
const ALL_TARGETS = ['direct', 'nginx', 'haproxy', 'golb-undici', 'golb-http-proxy', 'bare-undici', 'bare-http-proxy'];
if (flags.baseline) ALL_TARGETS.push('base-undici', 'base-http-proxy');

const have = (cmd) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
if (!have('wrk')) {
  console.error('bench: wrk is not installed (apt-get install wrk)');
  process.exit(1);
}
const pin = have('taskset') && cpus().length >= 2;
const pinned = (cpu, cmd, args) => (pin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);
const PROXY_CPU = 0;
const LOAD_CPU = 1;

const wanted = flags.targets ? flags.targets.split(',') : ALL_TARGETS;
const targets = wanted.filter((t) => {
  if (!ALL_TARGETS.includes(t)) throw new Error(`unknown target ${t} (${ALL_TARGETS.join(', ')})`);
  if (t === 'nginx' && !have('nginx')) return console.error('bench: nginx not installed, skipping it'), false;
  if (t === 'haproxy' && !have('haproxy')) return console.error('bench: haproxy not installed, skipping it'), false;
  return true;
});
const scenarios = flags.scenarios ? flags.scenarios.split(',') : Object.keys(SCENARIOS);
for (const s of scenarios) if (!SCENARIOS[s]) throw new Error(`unknown scenario ${s} (${Object.keys(SCENARIOS).join(', ')})`);

// ---- processes ---------------------------------------------------------------------------------

const children = new Set();
function start(name, cmd, args, opts = {}) {
  const [c, a] = opts.cpu === undefined ? [cmd, args] : pinned(opts.cpu, cmd, args);
  const child = spawn(c, a, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-4000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-4000)));
  child.on('exit', () => children.delete(child));
  children.add(child);
  return { name, child, output: () => out };
}

/** Stops one child by pid: SIGTERM, then SIGKILL after `ms`. */
function stop(child, ms = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
let cleaning;
const cleanup = () => (cleaning ??= Promise.all([...children].map((c) => stop(c))));
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function get(port, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
    req.setTimeout(2000, () => req.destroy(new Error('timeout')));
  });
}

async function waitUp(port, path, what, proc) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await get(port, path);
      if (res.statusCode === 200) return;
    } catch {}
    if (proc && proc.child.exitCode !== null) throw new Error(`${what} exited:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not come up on port ${port}${proc ? `:\n${proc.output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** utime + stime of a process in µs, from /proc/<pid>/stat. */
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim() || 100);
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}
function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The pid whose CPU counts: the process itself, not the taskset wrapper (which execs, same pid). */
const pidOf = (proc) => proc.child.pid;

// ---- setup -------------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'golb-bench-'));
const www = join(dir, 'www');
mkdirSync(www);
writeFileSync(join(www, 'b100'), 'x'.repeat(99) + '\n');
writeFileSync(join(www, '1k'), 'x'.repeat(1023) + '\n');
writeFileSync(join(www, '100k'), 'x'.repeat(100 * 1024 - 1) + '\n');

const B = [await freePort(), await freePort(), await freePort()];
const backendUrls = B.map((p) => `http://127.0.0.1:${p}`);
const nginxCommon = (name) => `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}-error.log warn;
events { worker_connections 8192; }
`;
const nginxTemp = (name) =>
  ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${name}-${t};`).join('\n');

let backends;
if (have('nginx')) {
  writeFileSync(
    join(dir, 'backends.conf'),
    `${nginxCommon('backends')}http {
  access_log off;
${nginxTemp('backends')}
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  default_type application/octet-stream;
  server {
${B.map((p) => `    listen 127.0.0.1:${p};`).join('\n')}
    root ${www};
    location / { rewrite ^.*/([^/]+)$ /$1 break; }
  }
}
`,
  );
  backends = start('backends (nginx)', 'nginx', ['-p', dir, '-c', join(dir, 'backends.conf')], { cpu: LOAD_CPU });
} else {
  backends = start('backends (node)', process.execPath, [join(ROOT, 'bench/backend.mjs'), www, ...B.map(String)], { cpu: LOAD_CPU });
}
for (const p of B) await waitUp(p, '/b100', 'backend', backends);

const COOKIE_SECRET = 'golb-bench-cookie-secret-0123456789abcdef';
const golbConfig = `# golb bench: the default pool is plain round robin; /api/* and ~^/v[0-9]+/ exercise routing,
# weighted round robin and cookie persistence.
method round_robin
health_check off
cookie name=GOLB_SESSION secret=${COOKIE_SECRET}
${backendUrls.map((u) => `backend ${u}`).join('\n')}
${backendUrls.map((u, i) => `backend ${u} pool=api weight=${[5, 3, 1][i]}`).join('\n')}
${backendUrls.map((u) => `backend ${u} pool=versioned`).join('\n')}
pool api method=weighted_round_robin persistence=cookie
pool versioned method=round_robin
route ~^/v[0-9]+/ backend_pool=versioned
route /api/* backend_pool=api
`;
writeFileSync(join(dir, 'golb.conf'), golbConfig);

let controlPlanePort;
/** One golb control plane for every golb data plane in the run; resolves to its gRPC port. */
async function controlPlane() {
  if (controlPlanePort) return controlPlanePort;
  const grpc = await freePort();
  const admin = await freePort();
  const proc = start('golb-controlplane', process.execPath, [join(ROOT, 'bin/golb.js'), 'controlplane', '--config', join(dir, 'golb.conf'), '--grpc-port', String(grpc), '--admin-port', String(admin)], { cpu: LOAD_CPU });
  await waitUp(admin, '/api/health', 'golb control plane', proc);
  controlPlanePort = grpc;
  return grpc;
}

/** Compiles to dist/ when a source golb runs from is newer than its build (type errors elsewhere still emit). */
function ensureBuilt() {
  const stale = ['cli', 'dataplane', 'controlplane', 'proto'].some((d) =>
    readdirSync(join(ROOT, d), { recursive: true })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .some((f) => {
        const out = join(ROOT, 'dist', d, f.replace(/\.ts$/, '.js'));
        return !existsSync(out) || statSync(out).mtimeMs < statSync(join(ROOT, d, f)).mtimeMs;
      }),
  );
  if (!stale) return;
  console.error('bench: compiling to dist/');
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    // Type errors in files golb does not load still leave the build usable.
  }
}
if (targets.some((t) => t.startsWith('golb-'))) ensureBuilt();

const procs = new Map();
const ports = new Map();
const cookies = new Map();

async function startTarget(t) {
  if (t === 'direct') {
    ports.set(t, B[0]);
    return;
  }
  const port = await freePort();
  ports.set(t, port);
  let proc;
  if (t === 'nginx') {
    const upstream = (name, weights, extra = '') =>
      `  upstream ${name} {\n${extra}${B.map((p, i) => `    server 127.0.0.1:${p}${weights ? ` weight=${weights[i]}` : ''};`).join('\n')}\n    keepalive 512;\n  }`;
    writeFileSync(
      join(dir, 'nginx-proxy.conf'),
      `${nginxCommon('nginx-proxy')}http {
  access_log off;
${nginxTemp('nginx-proxy')}
  keepalive_requests 1000000;
  keepalive_timeout 120s;
${upstream('plain')}
  # nginx (open source) has no sticky cookie: persistence by a hash of the cookie is the nearest.
${upstream('api', [5, 3, 1], '    hash $cookie_GOLB_SESSION;\n')}
${upstream('versioned')}
  server {
    listen 127.0.0.1:${port};
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $http_host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Request-Id $request_id;
    proxy_max_temp_file_size 0;
    location ~ ^/v[0-9]+/ { proxy_pass http://versioned; }
    location /api/ { proxy_pass http://api; }
    location / { proxy_pass http://plain; }
  }
}
`,
    );
    proc = start(t, 'nginx', ['-p', dir, '-c', join(dir, 'nginx-proxy.conf')], { cpu: PROXY_CPU });
  } else if (t === 'haproxy') {
    const servers = (prefix, weights, cookie) =>
      B.map((p, i) => `  server ${prefix}${i + 1} 127.0.0.1:${p}${weights ? ` weight ${weights[i]}` : ''}${cookie ? ` cookie ${prefix}${i + 1}` : ''}`).join('\n');
    writeFileSync(
      join(dir, 'haproxy.cfg'),
      `global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 120s
  option http-keep-alive
  http-reuse always
  option forwardfor
frontend fe
  bind 127.0.0.1:${port}
  unique-id-format %{+X}o%ci%cp%Ts%rt%pid
  unique-id-header X-Request-Id
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Real-IP %[src]
  acl versioned path_reg ^/v[0-9]+/
  acl api path_beg /api/
  use_backend versioned if versioned
  use_backend api if api
  default_backend plain
backend plain
  balance roundrobin
${servers('p')}
backend api
  balance roundrobin
  cookie GOLB_SESSION insert indirect nocache
${servers('a', [5, 3, 1], true)}
backend versioned
  balance roundrobin
${servers('v')}
`,
    );
    proc = start(t, 'haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], { cpu: PROXY_CPU });
  } else if (t.startsWith('golb-') || t.startsWith('base-')) {
    // The data plane is the proxy: its own process, pinned like the others. Its control plane runs
    // beside the load generator (it only receives a stats report per second).
    const engine = t.slice(t.indexOf('-') + 1);
    const bin = t.startsWith('base-') ? join(flags.baseline, 'bin/golb.js') : join(ROOT, 'bin/golb.js');
    const cp = await controlPlane();
    const nodeArgs = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`, `--cpu-prof-name=${t}.cpuprofile`] : [];
    const args = [...nodeArgs, bin, 'dataplane', '--control-plane', `127.0.0.1:${cp}`, '--host', '127.0.0.1', '--port', String(port), '--engine', engine];
    proc = start(t, process.execPath, args, { cpu: PROXY_CPU });
  } else if (t.startsWith('bare-')) {
    proc = start(t, process.execPath, [join(ROOT, 'bench/bare-proxy.mjs'), t.slice('bare-'.length), String(port), ...backendUrls], { cpu: PROXY_CPU });
  }
  procs.set(t, proc);
  await waitUp(port, '/b100', t, proc);
  // The cookie a returning client of this target sends in the full-path scenario.
  const res = await get(port, '/api/b100');
  const set = res.headers['set-cookie']?.[0];
  cookies.set(t, set ? set.split(';')[0] : 'GOLB_SESSION=bench-client-1');
}

// ---- measuring ---------------------------------------------------------------------------------

function wrk(t, scenario, seconds) {
  const s = SCENARIOS[scenario];
  const args = ['-t1', `-c${s.connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', join(ROOT, 'bench/report.lua')];
  if (s.cookie) args.push('-H', `Cookie: ${cookies.get(t)}`);
  args.push(`http://127.0.0.1:${ports.get(t)}${s.path}`);
  const [cmd, a] = pinned(LOAD_CPU, 'wrk', args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, a, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      children.delete(child);
      const line = out.split('\n').find((l) => l.startsWith('BENCH '));
      if (!line) reject(new Error(`wrk failed (${code}) on ${t}/${scenario}:\n${out}`));
      else resolve(JSON.parse(line.slice(6)));
    });
  });
}

async function measure(t, scenario, seconds) {
  const proc = procs.get(t);
  const pid = proc ? pidOf(proc) : undefined;
  const cpuBefore = pid ? cpuUs(pid) : 0;
  const r = await wrk(t, scenario, seconds);
  const cpu = pid ? cpuUs(pid) - cpuBefore : NaN;
  return {
    rps: r.requests / (r.duration_us / 1e6),
    p50: r.p50,
    p99: r.p99,
    p999: r.p999,
    cpuPerReq: pid ? cpu / Math.max(1, r.requests) : NaN,
    rss: pid ? rssMb(pid) : NaN,
    errors: r.errors,
  };
}

const median = (xs) => {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

// ---- run ---------------------------------------------------------------------------------------

const runs = scenarios.length * targets.length * ROUNDS;
const estimateS = targets.length * WARMUP_S + runs * (DURATION_S + 0.5) + SOAK_MIN * 60;
console.error(`bench: ${targets.length} targets × ${scenarios.length} scenarios × ${ROUNDS} rounds of ${DURATION_S} s, warm-up ${WARMUP_S} s; about ${Math.ceil(estimateS / 60)} min`);
console.error(`bench: pinning ${pin ? `proxy → CPU ${PROXY_CPU}, wrk + backends → CPU ${LOAD_CPU}` : 'off (taskset missing or one CPU)'}`);

const results = new Map(); // `${scenario} ${target}` → samples[]
let soak;
try {
  for (const t of targets) await startTarget(t);
  for (const t of targets) {
    console.error(`bench: warming up ${t} for ${WARMUP_S} s`);
    await measure(t, 'plain', WARMUP_S);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      // Rotate the order every round so no target always runs first (or right after the heaviest).
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        const sample = await measure(t, scenario, DURATION_S);
        const key = `${scenario} ${t}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(sample);
        console.error(`bench: round ${round + 1}/${ROUNDS} ${scenario.padEnd(5)} ${t.padEnd(16)} ${Math.round(sample.rps)} rps, p99 ${(sample.p99 / 1000).toFixed(2)} ms, ${sample.cpuPerReq.toFixed(1)} µs CPU/req`);
      }
    }
  }
  if (SOAK_MIN > 0) soak = await runSoak();
} finally {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
}

async function runSoak() {
  const t = targets.includes('golb-undici') ? 'golb-undici' : targets.find((x) => x.startsWith('golb-'));
  if (!t) return undefined;
  console.error(`bench: soak — ${t} under the full-path scenario for ${SOAK_MIN} min`);
  const pid = pidOf(procs.get(t));
  const samples = [{ minute: 0, rss: rssMb(pid) }];
  const load = wrk(t, 'full', SOAK_MIN * 60);
  for (let m = 1; m <= SOAK_MIN; m++) {
    await new Promise((r) => setTimeout(r, 60_000));
    samples.push({ minute: m, rss: rssMb(pid) });
    console.error(`bench: soak minute ${m}: RSS ${samples.at(-1).rss.toFixed(1)} MB`);
  }
  const r = await load;
  return { target: t, samples, requests: r.requests, errors: r.errors };
}

// ---- report ------------------------------------------------------------------------------------

const agg = (scenario, t) => {
  const xs = results.get(`${scenario} ${t}`);
  if (!xs) return undefined;
  return {
    rps: median(xs.map((x) => x.rps)),
    p50: median(xs.map((x) => x.p50)),
    p99: median(xs.map((x) => x.p99)),
    p999: median(xs.map((x) => x.p999)),
    cpuPerReq: median(xs.map((x) => x.cpuPerReq)),
    rss: Math.max(...xs.map((x) => x.rss)),
    errors: xs.reduce((n, x) => n + x.errors, 0),
  };
};
const ms = (us) => (Number.isNaN(us) ? '–' : (us / 1000).toFixed(2));
const num = (x, d = 0) => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');

const lines = [];
// "CPU × nginx" is the CPU one request costs relative to nginx: it holds steady on a shared machine
// where rps (and so "× nginx") moves with whatever else runs beside the load generator.
lines.push(`| scenario | target | rps | p50 ms | p99 ms | p99.9 ms | proxy CPU µs/req | CPU × nginx | RSS MB | errors | × nginx | × direct |`);
lines.push(`|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|`);
for (const scenario of scenarios.filter((s) => !SCENARIOS[s].latencyOnly)) {
  const nginx = agg(scenario, 'nginx');
  const direct = agg(scenario, 'direct');
  for (const t of targets) {
    const a = agg(scenario, t);
    if (!a) continue;
    lines.push(
      `| ${SCENARIOS[scenario].label} | ${t} | ${num(a.rps)} | ${ms(a.p50)} | ${ms(a.p99)} | ${ms(a.p999)} | ${num(a.cpuPerReq, 1)} | ${ratio(a.cpuPerReq, nginx?.cpuPerReq)} | ${num(a.rss, 0)} | ${a.errors} | ${ratio(a.rps, nginx?.rps)} | ${ratio(a.rps, direct?.rps)} |`,
    );
  }
}
const latency = scenarios.filter((s) => SCENARIOS[s].latencyOnly);
if (latency.length > 0) {
  lines.push('', `| target | ${latency.map((s) => `${s} p50 ms | ${s} p99 ms | ${s} p50 overhead vs direct ms`).join(' | ')} |`);
  lines.push(`|---|${latency.map(() => '--:|--:|--:').join('|')}|`);
  for (const t of targets) {
    const cells = latency.map((s) => {
      const a = agg(s, t);
      const d = agg(s, 'direct');
      return `${ms(a?.p50)} | ${ms(a?.p99)} | ${a && d ? ms(a.p50 - d.p50) : '–'}`;
    });
    lines.push(`| ${t} | ${cells.join(' | ')} |`);
  }
}
if (soak) {
  lines.push('', `Soak: ${soak.target}, full path at c64 for ${SOAK_MIN} min, ${soak.requests} requests, ${soak.errors} errors. RSS: ${soak.samples.map((s) => `${s.minute} min ${s.rss.toFixed(1)} MB`).join(', ')}.`);
}

// The issue's targets, for the default engine on the full feature path.
const checks = [];
for (const engine of ['undici', 'http-proxy']) {
  const g = agg('full', `golb-${engine}`);
  const bare = agg('full', `bare-${engine}`);
  const nginx = agg('full', 'nginx');
  if (!g) continue;
  if (bare) checks.push(`golb-${engine}: CPU/req on the full path ${num(g.cpuPerReq, 1)} µs = ${ratio(g.cpuPerReq, bare.cpuPerReq)} the bare ${engine} proxy (target ≤ 1.10×)`);
  if (nginx) {
    checks.push(`golb-${engine}: full-path throughput ${ratio(g.rps, nginx.rps)} nginx measured, ${ratio(nginx.cpuPerReq, g.cpuPerReq)} by CPU per request (target ≥ 0.50× per core); p99 ${ratio(g.p99, nginx.p99)} nginx's (target ≤ 2×)`);
  }
  const c1 = agg('c1', `golb-${engine}`);
  const d1 = agg('c1', 'direct');
  if (c1 && d1) checks.push(`golb-${engine}: c1 p50 overhead ${ms(c1.p50 - d1.p50)} ms over direct (target ≤ 0.30 ms)`);
  const c256 = agg('c256', `golb-${engine}`);
  if (c256) checks.push(`golb-${engine}: RSS at 256 connections ${num(c256.rss, 0)} MB (target ≤ 120 MB)`);
}
if (checks.length) lines.push('', ...checks.map((c) => `- ${c}`));

const report = lines.join('\n');
console.log(report);
if (flags.out) writeFileSync(flags.out, report + '\n');
