import { readdirSync } from 'node:fs';
import path from 'node:path';
import { envReadBy, type ServiceName } from './env-shapes';
import { renderKustomization, strategicMerge, type Manifest } from './kustomize';

const k8s = path.resolve(__dirname, '..', '..', 'k8s');
const overlays = readdirSync(path.join(k8s, 'overlays'));

interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: unknown } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  containers: Container[];
}

const spec = <T>(m: Manifest) => m.spec as T;
const podOf = (deployment: Manifest) => spec<{ template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }>(deployment).template;
const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const named = (manifests: Manifest[], kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name);

/** The kubernetes-models class for an object, e.g. kubernetes-models/apps/v1/Deployment. */
function modelOf(manifest: Manifest): { validate(): void } {
  const module = require(`kubernetes-models/${manifest.apiVersion}/${manifest.kind}`) as Record<string, new (data: unknown) => { validate(): void }>;
  return new module[manifest.kind]!(manifest);
}

/** What a container's environment resolves to: literal values, ConfigMap keys (later envFrom wins), and secret references. */
function environmentOf(container: Container, manifests: Manifest[]): Map<string, string> {
  const env = new Map<string, string>();
  for (const source of container.envFrom ?? []) {
    const configMap = named(manifests, 'ConfigMap', source.configMapRef!.name);
    if (!configMap) throw new Error(`ConfigMap ${source.configMapRef!.name} is not in the overlay`);
    for (const [key, value] of Object.entries(configMap.data as Record<string, string>)) env.set(key, value);
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    env.set(variable.name, variable.value ?? (secret ? `secret:${secret.name}/${secret.key}` : 'fieldRef'));
  }
  return env;
}

describe('the kustomize renderer', () => {
  it('merges maps, merges named lists by name, and replaces other lists', () => {
    const base = { spec: { replicas: 2, containers: [{ name: 'a', image: 'x', env: [{ name: 'A', value: '1' }] }], hosts: ['a'] } };
    const patch = { spec: { replicas: 3, containers: [{ name: 'a', env: [{ name: 'B', value: '2' }] }], hosts: ['b'] } };
    expect(strategicMerge(base, patch)).toEqual({
      spec: { replicas: 3, containers: [{ name: 'a', image: 'x', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }], hosts: ['b'] },
    });
  });
});

/** One replica exports each source (an advisory lock); more replicas are standbys, not throughput. */
const notAutoscaled = new Set(['exporter']);

describe.each(overlays)('k8s overlay %s', (overlay) => {
  const manifests = renderKustomization(path.join(k8s, 'overlays', overlay));
  const deployments = ofKind(manifests, 'Deployment');

  it('renders objects that validate against the Kubernetes schemas', () => {
    expect(manifests.length).toBeGreaterThan(10);
    for (const manifest of manifests) {
      expect(() => modelOf(manifest).validate()).not.toThrow();
      expect(manifest.metadata.namespace).toBeTruthy();
      expect(manifest.metadata.labels?.['app.kubernetes.io/part-of']).toBe('pneumatic');
    }
  });

  it('leaves Postgres, NATS and Redis to their own operators or charts', () => {
    expect(ofKind(manifests, 'StatefulSet')).toEqual([]);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['auth', 'conversations', 'exporter', 'gateway', 'messages', 'presence']);
  });

  it('gives every Deployment probes on /ready and /health, resources, a tagged image, a Service, a PDB and an HPA (the exporter none)', () => {
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const [container] = podOf(deployment).spec.containers;
      expect({ name, ready: container!.readinessProbe?.httpGet?.path, live: container!.livenessProbe?.httpGet?.path }).toEqual({ name, ready: '/ready', live: '/health' });
      expect(container!.ports!.map((p) => p.name)).toContain(container!.readinessProbe!.httpGet!.port);
      expect(container!.resources?.requests?.cpu && container!.resources?.limits?.memory).toBeTruthy();
      expect(container!.image).toMatch(/:[\w.-]+$/);
      expect(container!.args).toEqual([`services/${name}/dist/main.js`]);
      const selector = spec<{ selector: { matchLabels: Record<string, string> } }>(deployment).selector.matchLabels;
      const selects = (m: Manifest) => JSON.stringify((m.spec as { selector: unknown }).selector) === JSON.stringify(selector) || JSON.stringify((m.spec as { selector: { matchLabels?: unknown } }).selector.matchLabels) === JSON.stringify(selector);
      expect({ name, service: ofKind(manifests, 'Service').some(selects), pdb: ofKind(manifests, 'PodDisruptionBudget').some(selects) }).toEqual({ name, service: true, pdb: true });
      const hpa = ofKind(manifests, 'HorizontalPodAutoscaler').find((h) => spec<{ scaleTargetRef: { name: string } }>(h).scaleTargetRef.name === name);
      expect({ name, hpa: Boolean(hpa) }).toEqual({ name, hpa: !notAutoscaled.has(name) });
      if (!hpa) continue;
      const { minReplicas, maxReplicas } = spec<{ minReplicas: number; maxReplicas: number }>(hpa!);
      expect(minReplicas).toBeLessThanOrEqual(maxReplicas);
    }
  });

  it('sets every variable each service reads, from ConfigMaps in the overlay or the pneumatic-secrets Secret', () => {
    const secret = named(manifests, 'Secret', 'pneumatic-secrets');
    const missing = deployments.flatMap((deployment) => {
      const env = environmentOf(podOf(deployment).spec.containers[0]!, manifests);
      return envReadBy(deployment.metadata.name as ServiceName).filter((key) => !env.has(key)).map((key) => `${deployment.metadata.name}: ${key}`);
    });
    expect(missing).toEqual([]);
    for (const deployment of deployments) {
      const env = environmentOf(podOf(deployment).spec.containers[0]!, manifests);
      for (const value of env.values()) {
        const ref = value.match(/^secret:([^/]+)\/(.+)$/);
        if (!ref) continue;
        expect(ref[1]).toBe('pneumatic-secrets');
        // Production creates the Secret outside git (README); an overlay that ships one must hold every key.
        if (secret) expect(Object.keys(secret.stringData as Record<string, string>)).toContain(ref[2]);
      }
    }
  });

  it('names the exporter\'s brokers in a ConfigMap and takes its SASL credentials from the Secret, and has Prometheus allowed in', () => {
    const exporter = named(manifests, 'Deployment', 'exporter')!;
    const [container] = podOf(exporter).spec.containers;
    const env = environmentOf(container!, manifests);
    const fromConfigMap = (key: string) => (container!.envFrom ?? []).some((s) => key in ((named(manifests, 'ConfigMap', s.configMapRef!.name)!.data ?? {}) as Record<string, string>));
    expect(fromConfigMap('KAFKA_BROKERS')).toBe(true);
    expect(env.get('KAFKA_BROKERS')).toMatch(overlay === 'prod' ? /^[\w.-]+:\d+(,[\w.-]+:\d+)*$/ : /^([\w.-]+:\d+(,[\w.-]+:\d+)*)?$/);
    for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD']) expect(env.get(key)).toBe(`secret:pneumatic-secrets/${key}`);
    // A Secret made before the exporter existed lacks them: the pod still starts, without SASL.
    for (const variable of container!.env!.filter((v) => v.name.startsWith('KAFKA_SASL_'))) expect(variable.valueFrom!.secretKeyRef!.optional).toBe(true);
    expect(spec<{ replicas: number }>(exporter).replicas).toBe(overlay === 'dev' ? 1 : 2);
    const scraped = ofKind(manifests, 'NetworkPolicy').find((p) => p.metadata.name === 'services-scraped-by-prometheus')!;
    const selected = spec<{ podSelector: { matchExpressions: { values: string[] }[] } }>(scraped).podSelector.matchExpressions[0]!.values;
    expect(selected).toContain('exporter');
  });

  it('lets the gateway drain its sockets within its shutdown budget', () => {
    const gateway = named(manifests, 'Deployment', 'gateway')!;
    const env = environmentOf(podOf(gateway).spec.containers[0]!, manifests);
    expect(Number(env.get('WS_DRAIN_SECONDS')) * 1000).toBeLessThan(Number(env.get('SHUTDOWN_TIMEOUT_MS')));
  });

  it('gives every Deployment a termination grace longer than its preStop pause plus SHUTDOWN_TIMEOUT_MS', () => {
    for (const deployment of deployments) {
      const pod = podOf(deployment).spec;
      for (const container of pod.containers) {
        const budget = Number(environmentOf(container, manifests).get('SHUTDOWN_TIMEOUT_MS'));
        const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
        const preStopMs = preStop[0] === 'sleep' ? Number(preStop[1]) * 1000 : 0;
        const name = deployment.metadata.name;
        expect({ name, budget: Number.isFinite(budget) }).toEqual({ name, budget: true });
        expect({ name, longer: (pod.terminationGracePeriodSeconds ?? 30) * 1000 > budget + preStopMs }).toEqual({ name, longer: true });
      }
    }
  });

  it('routes the Ingress to the gateway Service port, with WebSocket-friendly timeouts', () => {
    const [ingress] = ofKind(manifests, 'Ingress');
    const rules = spec<{ rules: { http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[] }>(ingress!).rules;
    const service = named(manifests, 'Service', 'gateway')!;
    for (const { backend } of rules.flatMap((r) => r.http.paths)) {
      expect(backend.service.name).toBe('gateway');
      expect(spec<{ ports: { name: string }[] }>(service).ports.map((p) => p.name)).toContain(backend.service.port.name);
    }
    expect(Number((ingress!.metadata.annotations as Record<string, string>)['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
  });

  it('denies ingress by default and opens the outside only to the gateway', () => {
    const policies = ofKind(manifests, 'NetworkPolicy');
    const deny = policies.find((p) => JSON.stringify(p.spec) === JSON.stringify({ podSelector: {}, policyTypes: ['Ingress'] }));
    expect(deny).toBeDefined();
    type Rule = { from: { namespaceSelector?: { matchLabels: Record<string, string> } }[] };
    for (const policy of policies) {
      const { podSelector, ingress = [] } = spec<{ podSelector: { matchLabels?: Record<string, string> }; ingress?: Rule[] }>(policy);
      const sources = ingress.flatMap((rule) => rule.from.map((f) => f.namespaceSelector?.matchLabels['kubernetes.io/metadata.name']));
      const outsideButMonitoring = sources.filter((ns) => ns !== 'monitoring');
      if (outsideButMonitoring.length > 0) expect(podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'gateway' });
    }
  });
});
