// Every command shown in docs/deployment.md and deploy/kubernetes/README.md names things that
// exist: compose services and their ports, Kubernetes objects, containers and Service ports,
// launcher flags, golbctl commands and flags, the image tag and paths.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { exists, IMAGE, parseInvocation, read, ROOT, SERVED_PATHS } from './launcher.js';

const DOCS = ['docs/deployment.md', 'deploy/kubernetes/README.md'];

interface Command {
  doc: string;
  line: string;
  words: string[];
}

/** Shell lines of the ```sh blocks, continuations joined, comments dropped, split into words. */
function commandsOf(doc: string): Command[] {
  const out: Command[] = [];
  for (const block of read(doc).matchAll(/```sh\n([\s\S]*?)```/g)) {
    const joined = block[1]!.replace(/\\\n\s*/g, ' ');
    for (const raw of joined.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (!line || line.startsWith('#')) continue;
      const words = [...line.matchAll(/"[^"]*"|'[^']*'|\S+/g)].map((m) => m[0]!.replace(/^["']|["']$/g, ''));
      out.push({ doc, line, words });
    }
  }
  return out;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { ports?: unknown[]; command?: string[] }> };
const manifests = readdirSync(join(ROOT, 'deploy/kubernetes'))
  .filter((f) => /\.ya?ml$/.test(f))
  .flatMap((f) => parseAllDocuments(read(`deploy/kubernetes/${f}`)).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: any } | null))
  .filter((m): m is NonNullable<typeof m> => m !== null);
const KIND: Record<string, string> = { statefulset: 'StatefulSet', sts: 'StatefulSet', deploy: 'Deployment', deployment: 'Deployment', svc: 'Service', service: 'Service', configmap: 'ConfigMap', cm: 'ConfigMap', hpa: 'HorizontalPodAutoscaler' };
const object = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);
const composePorts = (service: string) =>
  (compose.services[service]?.ports ?? []).map((p) => Number(String(p).replace(/\/tcp$/, '').split(':').at(-1)));

const golbctlHelp = new Map<string, string>();
function checkGolbctl(words: string[], where: string): void {
  const [sub, ...rest] = words;
  assert.ok(sub && exists(`cli/commands/${sub}.ts`), `${where}: golbctl ${sub} is not a command`);
  if (!exists('dist/cli/commands')) return; // flags are read from the built CLI's --help
  let help = golbctlHelp.get(sub);
  if (help === undefined) {
    const r = spawnSync(process.execPath, ['bin/run.js', sub, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    help = r.stdout;
    golbctlHelp.set(sub, help);
  }
  for (const w of rest.filter((x) => x.startsWith('--'))) {
    const flag = w.split('=')[0]!;
    assert.ok(help.includes(flag), `${where}: golbctl ${sub} has no ${flag}`);
  }
}

function checkCompose(c: Command, args: string[]): void {
  const where = `${c.doc}: ${c.line}`;
  const services = Object.keys(compose.services);
  const rest = args.filter((w) => w !== '-d' && w !== '--build');
  const [sub] = rest;
  const isService = (s: string | undefined) => assert.ok(s && services.includes(s), `${where}: ${s} is not a compose service`);
  switch (sub) {
    case 'up':
      for (const w of rest.slice(1)) {
        if (w === '--scale') continue;
        const m = /^(\S+)=\d+$/.exec(w);
        if (m) isService(m[1]);
      }
      return;
    case 'exec': {
      let i = 1;
      while (rest[i]?.startsWith('-')) i += rest[i] === '-e' ? 2 : 1;
      isService(rest[i]);
      if (rest[i + 1] === 'golbctl') checkGolbctl(rest.slice(i + 2), where);
      return;
    }
    case 'kill':
      if (rest[1] !== '-s') return isService(rest[1]); // SIGKILL: a crash, on purpose
      assert.ok(['SIGHUP', 'SIGTERM', 'SIGINT'].includes(rest[2]!), `${where}: golb handles ${rest[2]}? no`);
      isService(rest[3]);
      return;
    case 'port': {
      const plain = rest.filter((w, i) => !w.startsWith('--') && rest[i - 1] !== '--index');
      isService(plain[1]);
      assert.ok(composePorts(plain[1]!).includes(Number(plain[2])), `${where}: ${plain[1]} does not publish ${plain[2]}`);
      return;
    }
    case 'logs':
    case 'start':
    case 'stop':
    case 'restart':
      for (const s of rest.slice(1).filter((w) => !w.startsWith('-'))) isService(s);
      return;
    case 'ps':
    case 'down':
    case 'config':
      return;
    default:
      assert.fail(`${where}: no check for docker compose ${sub}`);
  }
}

function checkKubectl(c: Command): void {
  const where = `${c.doc}: ${c.line}`;
  const w = c.words.slice(1);
  const dash = w.indexOf('--');
  const own = dash < 0 ? w : w.slice(0, dash);
  for (const token of own) {
    const m = /^(statefulset|sts|deploy|deployment|svc|service|configmap|cm|hpa)\/([a-z0-9-]+)$/.exec(token);
    if (m) assert.ok(object(KIND[m[1]!]!, m[2]!), `${where}: no ${KIND[m[1]!]} ${m[2]}`);
  }
  if (own[0] === 'apply' || own[0] === 'delete') {
    const path = own[own.indexOf('-k') + 1] ?? own[own.indexOf('-f') + 1];
    assert.ok(path && exists(path), `${where}: ${path} does not exist`);
  }
  if (own[0] === 'edit' && own[1] === 'configmap') assert.ok(object('ConfigMap', own[2]!), `${where}: no ConfigMap ${own[2]}`);
  if (own[0] === 'port-forward') {
    const [kind, name] = own[1]!.split('/');
    const svc = object(KIND[kind!]!, name!);
    for (const pair of own.slice(2)) {
      const remote = Number(pair.split(':').at(-1));
      assert.ok((svc?.spec?.ports as Array<{ port: number }>).some((p) => p.port === remote), `${where}: ${own[1]} has no port ${remote}`);
    }
  }
  if (own[0] === 'set' && own[1] === 'image') {
    const d = object('Deployment', own[2]!.split('/')[1]!);
    const [container] = own[3]!.split('=');
    assert.ok((d?.spec?.template.spec.containers as Array<{ name: string }>).some((x) => x.name === container), `${where}: no container ${container}`);
  }
  if (own[0] === 'scale') {
    const replicas = Number(own.find((x) => x.startsWith('--replicas='))?.split('=')[1]);
    assert.ok(replicas >= 2, `${where}: at least 2 data planes`);
  }
  if (own[0] === 'exec' && dash >= 0) {
    const inner = w.slice(dash + 1);
    assert.equal(inner[0], 'golbctl', `${where}: only golbctl is run inside the pod`);
    checkGolbctl(inner.slice(1), where);
  }
}

const all = DOCS.flatMap(commandsOf);

describe('commands in the deployment docs', () => {
  it('are there', () => {
    assert.ok(all.length > 30, `${all.length} commands`);
  });

  it('name things that exist, with flags the programs accept', () => {
    for (const c of all) {
      const where = `${c.doc}: ${c.line}`;
      const [head, ...rest] = c.words;
      switch (head) {
        case 'docker':
          if (rest[0] === 'compose') checkCompose(c, rest.slice(1));
          else if (rest[0] === 'build') {
            assert.equal(rest[rest.indexOf('-t') + 1], IMAGE, `${where}: tag`);
            assert.equal(rest.at(-1), '.', `${where}: the repository root is the context`);
          } else if (rest[0] === 'run') {
            const at = rest.indexOf(IMAGE);
            assert.ok(at > 0, `${where}: runs ${IMAGE}`);
            const inv = parseInvocation(['node', 'bin/golb.js', ...rest.slice(at + 1)]);
            assert.deepEqual(inv.problems, [], `${where}: ${inv.problems.join('; ')}`);
          } else if (rest[0] === 'exec') {
            assert.equal(rest[2], 'golbctl', where);
            checkGolbctl(rest.slice(3), where);
          } else assert.fail(`${where}: no check for docker ${rest[0]}`);
          break;
        case 'docker-compose':
          if (rest[0] === '-f') assert.ok(exists(rest[1]!), where);
          checkCompose(c, rest[0] === '-f' ? rest.slice(2) : rest);
          break;
        case 'kubectl':
          checkKubectl(c);
          break;
        case 'node': {
          const inv = parseInvocation(c.words);
          assert.deepEqual(inv.problems, [], `${where}: ${inv.problems.join('; ')}`);
          const config = inv.flags.get('config');
          if (config) assert.ok(exists(config), `${where}: ${config} does not exist`);
          break;
        }
        case 'curl': {
          const url = new URL(`http://${rest.find((x) => x.startsWith('localhost:'))}`);
          // 8081, 8082...: the control plane replicas' admin ports as docker-compose.yml publishes them.
          const adminPorts = Object.entries(compose.services)
            .filter(([, svc]) => svc.command?.[0] === 'controlplane')
            .flatMap(([name]) => (compose.services[name]!.ports ?? []).map((p) => String(p).split(':')).filter((p) => p.at(-1) === '8081').map((p) => p.at(-2)));
          if (url.port === '8081' || adminPorts.includes(url.port)) assert.ok(SERVED_PATHS['controlplane:admin']!.includes(url.pathname), `${where}: ${url.pathname} is not an admin endpoint`);
          else assert.equal(url.port, '8080', `${where}: traffic goes to 8080`);
          break;
        }
        case 'export':
          // Only the token variables the launcher and golbctl read; never a literal value.
          assert.match(rest.join(' '), /^GOLB_(TOKEN|ADMIN_TOKEN|DATAPLANE_TOKEN|COOKIE_SECRET)=(\.\.\.|\$\(openssl rand -hex \d+\))$/, where);
          break;
        case 'kind':
        case 'minikube':
          assert.ok(c.words.includes(IMAGE), `${where}: loads ${IMAGE}`);
          break;
        default:
          assert.fail(`${where}: no check for ${head}; add one here`);
      }
    }
  });
});
