// deploy/kubernetes/: every manifest parses, and images, arguments, ports, Services, probes,
// shutdown timing, the config and the autoscaler agree with each other and with the launcher.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../controlplane/config/load-config.js';
import { imageCommand } from './dockerfile.js';
import { exists, IMAGE, listenersOf, managementRefusals, parseInvocation, reachableFromOutside, read, ROOT, SERVED_PATHS, type Invocation, type Listener } from './launcher.js';

const DIR = 'deploy/kubernetes';

interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: Probe };
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
  resources?: { requests?: Record<string, string> };
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string; items?: Array<{ key: string; path: string }> }; emptyDir?: Record<string, unknown> }>;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, any>;
  data?: Record<string, string>;
  __file: string;
}

const files = readdirSync(join(ROOT, DIR)).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml').sort();
const manifests: Manifest[] = files.flatMap((f) =>
  parseAllDocuments(read(`${DIR}/${f}`)).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${DIR}/${f}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const js = doc.toJS() as Manifest | null;
    return js ? [{ ...js, __file: f }] : [];
  }),
);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const image = imageCommand();

interface Workload {
  deployment: Manifest;
  pod: PodSpec;
  container: Container;
  inv: Invocation;
  listeners: Listener[];
}

/** Kubernetes expands $(VAR) in command and args from the container's env. */
function expand(c: Container, arg: string): string {
  return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string) => {
    const e = c.env?.find((x) => x.name === name);
    assert.ok(e, `${c.name}: ${all} names no env variable of the container`);
    return e.value ?? `<${name}>`;
  });
}

const workloads: Workload[] = ofKind('Deployment').flatMap((d) => {
  const pod = d.spec!.template.spec as PodSpec;
  return pod.containers.map((c) => {
    const argv = [...(c.command ?? image.entrypoint), ...(c.args ?? (c.command ? [] : image.cmd))].map((a) => expand(c, String(a)));
    const inv = parseInvocation(argv);
    return { deployment: d, pod, container: c, inv, listeners: inv.problems.length ? [] : listenersOf(inv) };
  });
});
const byRole = (role: Invocation['role']) => workloads.filter((w) => w.inv.role === role);

/** The etcd the control planes keep their state in (etcd.yaml). */
const etcdSets = ofKind('StatefulSet').filter((m) => (m.spec!.template.spec as PodSpec).containers.some((c) => /(^|\/)etcd:/.test(c.image)));
const etcdContainer = (m: Manifest) => (m.spec!.template.spec as PodSpec).containers.find((c) => /(^|\/)etcd:/.test(c.image))!;
/** `--flag=value` of an etcd command line, $(VAR) left as is. */
const etcdFlag = (c: Container, name: string) => c.args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** Names of a container's env variables that come from a Secret key the pod cannot start without. */
function requiredSecretEnv(c: Container): Map<string, { name: string; key: string }> {
  const out = new Map<string, { name: string; key: string }>();
  for (const e of c.env ?? []) {
    const ref = (e.valueFrom as { secretKeyRef?: { name: string; key: string; optional?: boolean } } | undefined)?.secretKeyRef;
    if (ref && ref.optional !== true) out.set(e.name, ref);
  }
  return out;
}

/** The listener behind a container port given by name or number. */
function listenerFor(w: Workload, port: number | string): Listener | undefined {
  const number = typeof port === 'number' ? port : w.container.ports?.find((p) => p.name === port)?.containerPort;
  return w.listeners.find((l) => l.port === number);
}

function selects(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function configMapConfig(): { file: string; text: string } {
  const cp = byRole('controlplane')[0]!;
  const path = cp.inv.flags.get('config');
  assert.ok(path, 'the control plane is given --config');
  for (const m of cp.container.volumeMounts ?? []) {
    const vol = cp.pod.volumes?.find((v) => v.name === m.name);
    if (!vol?.configMap) continue;
    const cm = ofKind('ConfigMap').find((x) => x.metadata.name === vol.configMap!.name);
    assert.ok(cm, `ConfigMap ${vol.configMap.name} is defined`);
    for (const key of Object.keys(cm.data ?? {})) {
      const rel = vol.configMap.items?.find((i) => i.key === key)?.path ?? key;
      const at = m.subPath ? (m.subPath === rel ? m.mountPath : undefined) : `${m.mountPath.replace(/\/$/, '')}/${rel}`;
      if (at === path) return { file: `${cm.__file}: ${cm.metadata.name}/${key}`, text: cm.data![key]! };
    }
  }
  assert.fail(`--config ${path} is not a file of a mounted ConfigMap`);
}

describe('deploy/kubernetes', () => {
  it('parses, and every object has a kind, an apiVersion and a name', () => {
    assert.ok(manifests.length >= 6, `${manifests.length} objects`);
    for (const m of manifests) {
      assert.ok(m.apiVersion && m.kind && m.metadata?.name, `${m.__file}: ${JSON.stringify(m).slice(0, 80)}`);
    }
    for (const kind of ['Deployment', 'StatefulSet', 'Service', 'ConfigMap', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) assert.ok(ofKind(kind).length > 0, `a ${kind}`);
    assert.ok(exists(`${DIR}/README.md`));
  });

  it('lists every manifest in kustomization.yaml', () => {
    const k = parseAllDocuments(read(`${DIR}/kustomization.yaml`))[0]!.toJS() as { resources: string[] };
    assert.deepEqual([...k.resources].sort(), files);
  });

  it('runs the one image, with flags the launcher accepts', () => {
    assert.equal(byRole('controlplane').length, 1, 'one control plane Deployment');
    assert.equal(byRole('dataplane').length, 1, 'one data plane Deployment');
    for (const w of workloads) {
      const where = `${w.deployment.__file} ${w.deployment.metadata.name}/${w.container.name}`;
      assert.equal(w.container.image, IMAGE, `${where}: image`);
      assert.deepEqual(w.inv.problems, [], `${where}: ${w.inv.problems.join('; ')}`);
      assert.equal(w.pod.securityContext?.runAsNonRoot, true, `${where}: runAsNonRoot`);
    }
  });

  it('leaves no management port beyond loopback without a token from a mandatory Secret', () => {
    for (const w of workloads) {
      if (w.inv.program !== 'golb') continue;
      const where = `${w.deployment.metadata.name}/${w.container.name}`;
      assert.ok(!w.inv.flags.has('insecure'), `${where}: --insecure`);
      const fromSecret = new Set(
        (w.container.env ?? [])
          .filter((e) => {
            const ref = (e.valueFrom as { secretKeyRef?: { optional?: boolean } } | undefined)?.secretKeyRef;
            return ref !== undefined && ref.optional !== true;
          })
          .map((e) => e.name),
      );
      assert.deepEqual(managementRefusals(w.inv, fromSecret), [], where);
      if (w.inv.role === 'dataplane') assert.ok(fromSecret.has('GOLB_TOKEN'), `${where}: the data planes need the token too`);
    }
  });

  it('declares exactly the ports each command listens on', () => {
    for (const w of workloads) {
      const where = `${w.deployment.metadata.name}/${w.container.name}`;
      const declared = (w.container.ports ?? []).map((p) => p.containerPort).sort();
      assert.deepEqual(declared, w.listeners.map((l) => l.port).sort(), `${where}: containerPorts vs the ports its flags open`);
    }
  });

  it('routes every Service to a port that listens beyond loopback', () => {
    for (const svc of ofKind('Service')) {
      const set = etcdSets.find((m) => selects(svc.spec!.selector, m.spec!.template.metadata.labels));
      if (set) {
        const c = etcdContainer(set);
        for (const p of svc.spec!.ports as Array<{ port: number; targetPort?: number | string }>) {
          const target = p.targetPort ?? p.port;
          const port = c.ports?.find((x) => x.name === target || x.containerPort === target)?.containerPort;
          assert.ok(port, `Service ${svc.metadata.name} port ${p.port}: no such etcd container port`);
          const listen = port === 2380 ? etcdFlag(c, 'listen-peer-urls') : etcdFlag(c, 'listen-client-urls');
          assert.ok(listen?.split(',').some((u) => new URL(u).port === String(port) && reachableFromOutside(new URL(u).hostname)), `Service ${svc.metadata.name} → etcd ${port}, but it listens on ${listen}`);
        }
        continue;
      }
      const targets = workloads.filter((w) => selects(svc.spec!.selector, w.deployment.spec!.template.metadata.labels));
      assert.equal(new Set(targets.map((t) => t.deployment)).size, 1, `Service ${svc.metadata.name} selects one Deployment`);
      for (const p of svc.spec!.ports as Array<{ port: number; targetPort?: number | string; name?: string }>) {
        const l = listenerFor(targets[0]!, p.targetPort ?? p.port);
        assert.ok(l, `Service ${svc.metadata.name} port ${p.port}: targetPort ${p.targetPort} is not a port the pod listens on`);
        assert.ok(reachableFromOutside(l.address), `Service ${svc.metadata.name} → ${l.portFlag} ${l.port}, but ${l.addressFlag} is ${l.address}`);
      }
    }
  });

  it('probes endpoints the processes serve, on addresses the kubelet can reach', () => {
    for (const w of workloads) {
      for (const [kind, probe] of [['readiness', w.container.readinessProbe], ['liveness', w.container.livenessProbe]] as const) {
        if (!probe) continue;
        const where = `${w.deployment.metadata.name} ${kind}Probe`;
        assert.ok(probe.httpGet, `${where}: httpGet`);
        const l = listenerFor(w, probe.httpGet.port);
        assert.ok(l, `${where}: port ${probe.httpGet.port} is not one the container listens on`);
        assert.ok(reachableFromOutside(l.address), `${where}: ${l.addressFlag} is ${l.address}; the kubelet probes the pod IP`);
        const served = SERVED_PATHS[`${w.inv.role}:${l.kind}`] ?? [];
        assert.ok(served.includes(probe.httpGet.path), `${where}: ${probe.httpGet.path} is not served on the ${l.kind} port (serves ${served.join(', ')})`);
      }
    }
    const dp = byRole('dataplane')[0]!;
    assert.equal(dp.container.readinessProbe?.httpGet?.path, '/ready', 'ready only after the first snapshot');
    assert.equal(dp.container.livenessProbe?.httpGet?.path, '/live');
    assert.ok(byRole('controlplane')[0]!.container.readinessProbe, 'the control plane has a readiness probe');
  });

  it('runs at least two data planes that find the control plane through its Service', () => {
    const dp = byRole('dataplane')[0]!;
    assert.ok(dp.deployment.spec!.replicas >= 2, `replicas ${dp.deployment.spec!.replicas}`);
    // One Service address reaches every replica: a broken stream reconnects to a live one.
    const targets = (dp.inv.flags.get('control-plane') ?? '').split(',');
    assert.equal(targets.length, 1, 'the Service, not pod addresses (pods of a Deployment have no stable names)');
    const [host, port] = targets[0]!.split(':');
    const svc = ofKind('Service').find((s) => s.metadata.name === host);
    assert.ok(svc, `--control-plane ${host}: no Service of that name`);
    const sp = (svc.spec!.ports as Array<{ port: number; targetPort?: number | string }>).find((p) => p.port === Number(port));
    assert.ok(sp, `Service ${host} has no port ${port}`);
    const cp = byRole('controlplane')[0]!;
    assert.ok(selects(svc.spec!.selector, cp.deployment.spec!.template.metadata.labels), `Service ${host} selects the control plane`);
    assert.equal(listenerFor(cp, sp.targetPort ?? sp.port)?.kind, 'grpc', `Service ${host}:${port} reaches the control plane's gRPC port`);
  });

  it('runs two or more control planes on etcd, one at a time in a rollout, with a disruption budget', () => {
    const cp = byRole('controlplane')[0]!;
    const spec = cp.deployment.spec!;
    assert.ok(spec.replicas >= 2, `control plane replicas ${spec.replicas}`);
    assert.equal(spec.strategy?.type, 'RollingUpdate');
    assert.equal(spec.strategy?.rollingUpdate?.maxUnavailable, 0, 'a new replica is ready before an old one goes');
    assert.ok(!cp.inv.flags.has('state-dir'), 'no state dir: the replicas share etcd');
    const store = cp.inv.flags.get('store') ?? '';
    assert.match(store, /^etcd:\/\//, '--store etcd://...');
    for (const member of store.slice('etcd://'.length).split(',')) {
      const [host, port] = member.split(':');
      const svc = ofKind('Service').find((s) => s.metadata.name === host);
      assert.ok(svc, `--store ${member}: no Service ${host}`);
      assert.ok(etcdSets.some((m) => selects(svc.spec!.selector, m.spec!.template.metadata.labels)), `Service ${host} selects the etcd StatefulSet`);
      assert.ok((svc.spec!.ports as Array<{ port: number }>).some((p) => p.port === Number(port)), `Service ${host} has port ${port}`);
    }
    const pdb = ofKind('PodDisruptionBudget').find((p) => selects(p.spec!.selector.matchLabels, cp.deployment.spec!.template.metadata.labels));
    assert.ok(pdb, 'a PodDisruptionBudget covers the control plane');
    assert.ok(pdb.spec!.minAvailable >= 1 && pdb.spec!.minAvailable < spec.replicas, `minAvailable ${pdb.spec!.minAvailable} of ${spec.replicas}`);
  });

  it('runs a small etcd: one member of the pinned official image, its data on a PVC, reachable only inside the cluster', () => {
    assert.equal(etcdSets.length, 1, 'one etcd StatefulSet');
    const set = etcdSets[0]!;
    assert.equal(set.spec!.replicas, 1);
    const c = etcdContainer(set);
    assert.match(c.image, /^gcr\.io\/etcd-development\/etcd:v3\.5\.\d+$/, 'the official image, pinned to a v3.5 release');
    assert.equal((set.spec!.template.spec as PodSpec).securityContext?.runAsNonRoot, true);
    const svc = ofKind('Service').find((s) => s.metadata.name === set.spec!.serviceName);
    assert.ok(svc, `serviceName ${set.spec!.serviceName} is a Service`);
    assert.equal(svc.spec!.clusterIP, 'None', 'headless, as a StatefulSet needs');
    for (const s of ofKind('Service').filter((x) => selects(x.spec!.selector, set.spec!.template.metadata.labels))) {
      assert.ok(!s.spec!.type || s.spec!.type === 'ClusterIP', `Service ${s.metadata.name}: type ${s.spec!.type} would publish etcd outside the cluster`);
    }
    const dataDir = etcdFlag(c, 'data-dir');
    assert.ok(dataDir, '--data-dir');
    const claims = (set.spec!.volumeClaimTemplates as Array<{ metadata: { name: string } }>).map((v) => v.metadata.name);
    const mount = c.volumeMounts?.find((m) => dataDir === m.mountPath || dataDir.startsWith(`${m.mountPath}/`));
    assert.ok(mount && claims.includes(mount.name), `--data-dir ${dataDir} is on a PersistentVolumeClaim`);
    assert.ok(c.readinessProbe?.httpGet?.path.startsWith('/health'), 'readiness on /health');
    assert.ok(c.livenessProbe?.httpGet?.path.startsWith('/health'), 'liveness on /health');
    // $(POD_NAME) in the URLs comes from the container's env.
    for (const a of c.args ?? []) for (const v of a.matchAll(/\$\(([A-Z_]+)\)/g)) assert.ok(c.env?.some((e) => e.name === v[1]), `etcd: $(${v[1]}) is not in its env`);
  });

  it('takes the token and the shared cookie secret from required keys of a Secret that is not committed', () => {
    assert.equal(ofKind('Secret').length, 0, 'no Secret with values in the repository');
    const cp = byRole('controlplane')[0]!;
    const cpSecrets = requiredSecretEnv(cp.container);
    assert.deepEqual(cpSecrets.get('GOLB_TOKEN'), { name: 'golb-secrets', key: 'token' });
    assert.deepEqual(cpSecrets.get('GOLB_COOKIE_SECRET'), { name: 'golb-secrets', key: 'cookie-secret' }, 'every replica signs cookies with the same secret');
    assert.deepEqual(requiredSecretEnv(byRole('dataplane')[0]!.container).get('GOLB_TOKEN'), { name: 'golb-secrets', key: 'token' });
    for (const w of workloads) {
      for (const e of w.container.env ?? []) {
        if (/TOKEN|SECRET/.test(e.name)) assert.equal(e.value, undefined, `${w.deployment.metadata.name}: ${e.name} has a committed value`);
      }
      for (const a of w.container.args ?? []) assert.doesNotMatch(a, /^--(token|admin-token|dataplane-token)\b/, `${w.deployment.metadata.name}: a token on the command line`);
    }
    const readme = read(`${DIR}/README.md`);
    assert.match(readme, /kubectl create secret generic golb-secrets[^`]*--from-literal=token=[^`]*--from-literal=cookie-secret=/, 'README.md shows how to create both keys');
  });

  it('keeps each data plane\'s last good config in --cache-dir on an emptyDir', () => {
    const dp = byRole('dataplane')[0]!;
    const dir = dp.inv.flags.get('cache-dir');
    assert.ok(dir, '--cache-dir');
    const mount = dp.container.volumeMounts?.find((m) => m.mountPath === dir);
    assert.ok(mount, `${dir} is a volume mount (the root file system is read-only)`);
    assert.ok(dp.pod.volumes?.find((v) => v.name === mount.name)?.emptyDir, `${mount.name} is an emptyDir`);
  });

  it('matches preStop and terminationGracePeriodSeconds to the shutdown timeout', () => {
    const dp = byRole('dataplane')[0]!;
    const pre = dp.container.lifecycle?.preStop?.exec?.command;
    assert.ok(pre && pre[0] === 'sleep', 'preStop sleeps while endpoints are removed');
    const sleepS = Number(pre[1]);
    const { text } = configMapConfig();
    const cfg = parseConfig(text, 'configmap', { env: {} });
    assert.ok(cfg.ok);
    const shutdownMs = Number(dp.inv.flags.get('shutdown-timeout') ?? cfg.config.limits.shutdownTimeoutMs);
    assert.equal(shutdownMs, cfg.config.limits.shutdownTimeoutMs, '--shutdown-timeout agrees with the config');
    const grace = dp.pod.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace * 1000 >= sleepS * 1000 + shutdownMs + 2000, `terminationGracePeriodSeconds ${grace} < preStop ${sleepS}s + shutdown ${shutdownMs / 1000}s + 2s for WebSockets`);
  });

  it('mounts a ConfigMap config that loads and names backends the manifests define', () => {
    const { file, text } = configMapConfig();
    const result = parseConfig(text, file, { env: {} });
    assert.ok(result.ok, `${file}: ${!result.ok ? result.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('; ') : ''}`);
    const backends = result.config.pools.flatMap((p) => p.backends).filter((b) => !b.discover);
    assert.deepEqual(backends.map((b) => b.weight), [5, 3, 1]);
    for (const b of backends) {
      const svc = ofKind('Service').find((s) => s.metadata.name === b.host.split('.')[0]);
      assert.ok(svc, `backend ${b.url}: no Service ${b.host}`);
      const sp = (svc.spec!.ports as Array<{ port: number; targetPort?: number | string }>).find((p) => p.port === b.port);
      assert.ok(sp, `Service ${svc.metadata.name} has no port ${b.port}`);
      const target = workloads.find((w) => selects(svc.spec!.selector, w.deployment.spec!.template.metadata.labels));
      assert.equal(target?.inv.role, 'demo-backend');
      const l = listenerFor(target!, sp.targetPort ?? sp.port);
      assert.ok(l && reachableFromOutside(l.address), `backend ${b.url} reaches a listening demo backend`);
    }
  });

  it('discovers pods through a headless Service whose port and pods the manifests define', () => {
    const { file, text } = configMapConfig();
    const result = parseConfig(text, file, { env: {} });
    assert.ok(result.ok);
    const discovered = result.config.pools.flatMap((p) => p.backends).filter((b) => b.discover);
    assert.ok(discovered.length > 0, 'the ConfigMap shows the headless-Service pattern');
    for (const b of discovered) {
      assert.equal(b.discover!.mode, 'dns');
      // The control plane's resolver applies no search domains: NAME.NAMESPACE.svc.cluster.local.
      assert.match(b.host, /^[a-z0-9-]+\.[a-z0-9-]+\.svc\.cluster\.local$/);
      const svc = ofKind('Service').find((s) => s.metadata.name === b.host.split('.')[0]);
      assert.ok(svc, `backend ${b.url}: no Service ${b.host}`);
      assert.equal(svc.spec!.clusterIP, 'None', `Service ${svc.metadata.name} is headless, so DNS returns the pods`);
      const sp = (svc.spec!.ports as Array<{ name?: string; port: number; targetPort?: number | string }>).find((p) => p.port === b.port);
      assert.ok(sp, `Service ${svc.metadata.name} has no port ${b.port}`);
      const target = workloads.find((w) => selects(svc.spec!.selector, w.deployment.spec!.template.metadata.labels));
      assert.ok(target, `Service ${svc.metadata.name} selects a Deployment`);
      assert.ok((target.deployment.spec!.replicas ?? 1) >= 2, 'several pods to balance');
      const l = listenerFor(target, sp.targetPort ?? sp.port);
      assert.ok(l && reachableFromOutside(l.address), `pods of ${b.url} listen beyond loopback on the port`);
    }
  });

  it('autoscales the data plane Deployment, which requests CPU', () => {
    for (const hpa of ofKind('HorizontalPodAutoscaler')) {
      const ref = hpa.spec!.scaleTargetRef as { kind: string; name: string };
      const target = workloads.find((w) => w.deployment.metadata.name === ref.name && ref.kind === 'Deployment');
      assert.equal(target?.inv.role, 'dataplane', `${hpa.metadata.name} scales the data planes`);
      assert.ok(hpa.spec!.minReplicas >= 2 && hpa.spec!.maxReplicas >= hpa.spec!.minReplicas);
      const usesCpu = (hpa.spec!.metrics as Array<{ resource?: { name: string } }>).some((m) => m.resource?.name === 'cpu');
      if (usesCpu) assert.ok(target!.container.resources?.requests?.cpu, 'CPU utilization needs a CPU request');
    }
  });
});
