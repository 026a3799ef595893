import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { envReadBy, serviceNames, type ServiceName } from './env-shapes';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string | number | null>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  profiles?: string[];
  ports?: string[];
  stop_grace_period?: string;
  networks?: { default?: { aliases?: string[] } };
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { name?: string; services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const services = compose.services;
/** The Pneumatic service a container runs, from its command (services/<name>/dist/main.js). */
const pneumaticServiceOf = (service: ComposeService): ServiceName | undefined =>
  service.command?.[0]?.match(/^services\/(\w+)\/dist\/main\.js$/)?.[1] as ServiceName | undefined;
const hostOf = (url: string) => new URL(url).hostname;

describe('docker-compose.yml', () => {
  it('runs every Pneumatic service, with two gateways, from the one image built here', () => {
    const running = Object.values(services).map(pneumaticServiceOf).filter(Boolean);
    expect([...new Set(running)].sort()).toEqual([...serviceNames].sort());
    expect(running.filter((s) => s === 'gateway')).toHaveLength(2);
    for (const [name, service] of Object.entries(services)) {
      const entry = pneumaticServiceOf(service);
      if (!entry) continue;
      expect({ name, image: service.image }).toEqual({ name, image: 'pneumatic:local' });
      expect(existsSync(path.join(root, 'services', entry, 'src', 'main.ts'))).toBe(true);
      expect(existsSync(path.join(root, service.build!.context, service.build!.dockerfile))).toBe(true);
    }
  });

  it('pins every other image to a version', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/^[\w./-]+:(?!latest$)[\w.-]+$/) });
    }
  });

  it('depends only on services that exist, and waits for health only where a health check is defined', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect({ name, dependency, exists: dependency in services }).toEqual({ name, dependency, exists: true });
        if (condition === 'service_healthy') expect({ dependency, healthcheck: Boolean(services[dependency]!.healthcheck) }).toEqual({ dependency, healthcheck: true });
        else expect(condition).toBe('service_started');
      }
    }
  });

  it('health-checks the infrastructure and every Pneumatic service', () => {
    for (const name of ['postgres', 'nats', 'redis', ...Object.keys(services).filter((n) => pneumaticServiceOf(services[n]!))]) {
      expect({ name, healthcheck: Boolean(services[name]?.healthcheck) }).toEqual({ name, healthcheck: true });
    }
    expect(services.nats!.command).toContain('--jetstream');
  });

  it('mounts only files and volumes that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect({ name, source, exists: existsSync(path.join(root, source)) }).toEqual({ name, source, exists: true });
        else expect({ name, source, declared: source in compose.volumes }).toEqual({ name, source, declared: true });
      }
    }
  });

  it('sets every variable each service reads', () => {
    const missing = Object.entries(services).flatMap(([name, service]) => {
      const entry = pneumaticServiceOf(service);
      const env = service.environment ?? {};
      return entry ? envReadBy(entry).filter((key) => env[key] === undefined || env[key] === null).map((key) => `${name}: ${key}`) : [];
    });
    expect(missing).toEqual([]);
  });

  it('points service addresses at services in the file', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!pneumaticServiceOf(service)) continue;
      const env = service.environment ?? {};
      for (const key of ['NATS_URL', 'DATABASE_URL', 'REDIS_URL', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const) {
        if (typeof env[key] === 'string') expect({ name, key, host: hostOf(env[key] as string) in services }).toEqual({ name, key, host: true });
      }
    }
  });

  it('balances WebSockets across the gateways with nginx, re-resolving their name', () => {
    const nginx = read('deploy/nginx/nginx.conf');
    expect(nginx).toMatch(/^\s*resolver 127\.0\.0\.11 valid=10s\b/m);
    expect(nginx).not.toMatch(/^\s*upstream\b/m);
    const [, alias, port] = nginx.match(/^\s*set \$gateways ([\w-]+):(\d+);/m)!;
    expect(nginx).toMatch(/^\s*proxy_pass http:\/\/\$gateways;/m);
    const gateways = Object.values(services).filter((s) => pneumaticServiceOf(s) === 'gateway');
    for (const gateway of gateways) {
      expect(gateway.networks?.default?.aliases).toContain(alias);
      expect(Number(gateway.environment!.PORT)).toBe(Number(port));
    }
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginx).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(nginx).toMatch(/proxy_http_version 1\.1;/);
  });

  it('has Prometheus scrape every Pneumatic container on the port that serves /metrics, finding those of a profile by DNS', () => {
    const prometheus = parse(read('deploy/prometheus/prometheus.yml')) as {
      scrape_configs: { static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; type: string; port: number }[] }[];
    };
    const listed = prometheus.scrape_configs.flatMap((c) => (c.static_configs ?? []).flatMap((s) => s.targets));
    // A static target of a container outside the default stack would be down whenever its profile is off.
    const discovered = prometheus.scrape_configs.flatMap((c) => (c.dns_sd_configs ?? []).flatMap((d) => (expect(d.type).toBe('A'), d.names.map((n) => `${n}:${d.port}`))));
    const pneumatic = Object.entries(services).filter(([, s]) => pneumaticServiceOf(s));
    const target = ([name, s]: [string, ComposeService]) => `${name}:${pneumaticServiceOf(s) === 'gateway' ? s.environment!.PORT : s.environment!.ADMIN_PORT}`;
    expect(listed.sort()).toEqual(pneumatic.filter(([, s]) => !s.profiles).map(target).sort());
    expect(discovered.sort()).toEqual(pneumatic.filter(([, s]) => s.profiles).map(target).sort());
  });

  it('sends traces through the collector to Jaeger', () => {
    const collector = parse(read('deploy/otel-collector/config.yaml')) as {
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: { traces: { receivers: string[]; exporters: string[] } } };
    };
    const { traces } = collector.service.pipelines;
    expect(traces.receivers).toEqual(['otlp']);
    for (const exporter of traces.exporters) expect(collector.exporters[exporter]!.endpoint.split(':')[0]).toBe('jaeger');
    expect(services.jaeger).toBeDefined();
  });

  it('provisions a Grafana dashboard whose panels use a provisioned data source and metrics docs/operations.md lists', () => {
    const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yaml')) as { datasources: { uid: string }[] };
    const uids = datasources.datasources.map((d) => d.uid);
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/pneumatic-overview.json')) as {
      panels: { title: string; targets: { expr: string; datasource: { uid: string } }[] }[];
    };
    const readme = read('docs/operations.md');
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const topic of ['connections', 'messages per second', 'delivery latency', 'nats', 'postgres', 'projection lag', 'kafka export lag']) expect(titles).toContain(topic);
    for (const target of dashboard.panels.flatMap((p) => p.targets)) {
      expect(uids).toContain(target.datasource.uid);
      for (const [series] of target.expr.matchAll(/pneumatic_[a-z_]+/g)) {
        const metric = series.replace(/_(bucket|sum|count)$/, '');
        expect({ metric, listed: readme.includes(`\`${metric}\``) }).toEqual({ metric, listed: true });
      }
    }
  });
});

describe('docker-compose.yml, as the real run needs it', () => {
  const inDefaultStack = (name: string) => !services[name]!.profiles;
  const seconds = (duration: string) => Number(duration.match(/^(\d+)s$/)![1]);

  it('loads in compose v1: no top-level name, the project name comes from a committed .env', () => {
    expect(compose.name).toBeUndefined();
    expect(read('.env')).toMatch(/^COMPOSE_PROJECT_NAME=pneumatic$/m);
    for (const ignore of ['.gitignore', '.dockerignore']) expect(read(ignore).split('\n')).not.toContain('.env');
  });

  it('keeps telemetry optional: the collector, Jaeger and Grafana are the observability profile, and nothing depends on them', () => {
    for (const name of ['otel-collector', 'jaeger', 'grafana']) expect({ name, profiles: services[name]!.profiles }).toEqual({ name, profiles: ['observability'] });
    for (const [name, service] of Object.entries(services)) {
      if (!inDefaultStack(name)) continue;
      const optional = Object.keys(service.depends_on ?? {}).filter((dependency) => !inDefaultStack(dependency));
      expect({ name, optional }).toEqual({ name, optional: [] });
    }
  });

  it('keeps Kafka optional: the broker and the exporter are the kafka profile, and the exporter dials the address the broker advertises', () => {
    for (const name of ['kafka', 'exporter']) expect({ name, profiles: services[name]!.profiles }).toEqual({ name, profiles: ['kafka'] });
    const advertised = String(services.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS).split(',').map((listener) => new URL(listener).host);
    for (const broker of String(services.exporter!.environment!.KAFKA_BROKERS).split(',')) expect(advertised).toContain(broker);
    expect(services.exporter!.depends_on!.kafka).toEqual({ condition: 'service_healthy' });
  });

  it('publishes every port on BIND_ADDRESS, 127.0.0.1 unless told otherwise', () => {
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^\$\{BIND_ADDRESS:-127\.0\.0\.1\}:\d+:\d+$/);
  });

  it('gives Grafana no anonymous access', () => {
    expect(services.grafana!.environment!.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
  });

  it('leaves NODE_ENV at production, as the image sets it', () => {
    for (const [name, service] of Object.entries(services)) {
      if (pneumaticServiceOf(service)) expect({ name, env: service.environment!.NODE_ENV }).toEqual({ name, env: '${NODE_ENV:-production}' });
    }
  });

  it('gives every service a stop grace period longer than its own SHUTDOWN_TIMEOUT_MS', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!pneumaticServiceOf(service)) continue;
      const budget = Number(service.environment!.SHUTDOWN_TIMEOUT_MS) / 1000;
      expect({ name, longer: seconds(service.stop_grace_period ?? '10s') > budget }).toEqual({ name, longer: true });
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('copies only paths that exist', () => {
    for (const [, sources] of dockerfile.matchAll(/^COPY (?!--from)(?:--\S+ )*(.+) \S+$/gm)) {
      for (const source of sources!.split(' ')) expect({ source, exists: existsSync(path.join(root, source)) }).toEqual({ source, exists: true });
    }
  });

  it('copies every workspace manifest before npm ci and compiles every service', () => {
    const workspaces = ['libs', 'services', 'bench'].flatMap((dir) =>
      dir === 'bench' ? ['bench'] : readdirSync(path.join(root, dir)).map((name) => `${dir}/${name}`),
    ).filter((ws) => existsSync(path.join(root, ws, 'package.json')));
    for (const ws of workspaces) expect(dockerfile).toContain(`COPY ${ws}/package.json ${ws}/`);
    const compiled = dockerfile.match(/RUN npx tsc -b ([^\\]+)/)![1]!.trim().split(' ');
    for (const ws of workspaces.filter((w) => w.startsWith('services/'))) expect(compiled).toContain(ws);
  });

  it('builds in one stage and runs as an unprivileged user in another', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node"\]$/m);
  });

  it('leaves out PGlite and type packages, which the services never load', () => {
    expect(dockerfile).toMatch(/rm -rf node_modules\/@electric-sql\/pglite node_modules\/@types/);
    const loaded = execFileSync(process.execPath, ['-e', "require('@pneumatic/platform'); console.log(Object.keys(require.cache).filter((f) => f.includes('@electric-sql')).length)"], { cwd: root, encoding: 'utf8' });
    expect(loaded.trim()).toBe('0');
  });
});
