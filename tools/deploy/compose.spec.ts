/**
 * The Docker deployment, checked without a Docker engine (none runs here):
 * - structural rules of docker-compose.yml, parsed with `yaml` (always);
 * - `docker-compose config` accepts the file (Debian's docker-compose v1; installed with
 *   apt-get when missing and we are root, else the test fails saying so);
 * - each service has a multi-stage, non-root Dockerfile with a HEALTHCHECK built through
 *   its Nx `build` target; the proxy passes WebSocket upgrades; NATS runs JetStream.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
const COMPOSE = path.join(ROOT, 'docker-compose.yml');
const SERVICES = [
  'gateway',
  'prekey-directory',
  'group-membership',
  'message-delivery',
  'push-notification',
];
const ALL_SERVICES = [...SERVICES, 'migrate', 'nats', 'postgres', 'proxy', 'prometheus'].sort();

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  container_name?: string;
  ports?: unknown[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
  environment?: Record<string, string>;
  restart?: string;
  volumes?: string[];
  command?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

function loadCompose(text: string): ComposeFile {
  return parse(text, { merge: true }) as ComposeFile;
}

function dependsOn(s: ComposeService): Record<string, string> {
  if (!s.depends_on || Array.isArray(s.depends_on)) return {};
  return Object.fromEntries(Object.entries(s.depends_on).map(([k, v]) => [k, v.condition]));
}

/** The docker-compose binary: on PATH, or installed from Debian's archive when we may. */
function dockerCompose(): string {
  const which = () => spawnSync('sh', ['-c', 'command -v docker-compose'], { encoding: 'utf8' });
  let found = which().stdout.trim();
  if (!found && process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let install = spawnSync('apt-get', ['install', '-y', '-q', 'docker-compose'], { env });
    if (install.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { env });
      install = spawnSync('apt-get', ['install', '-y', '-q', 'docker-compose'], { env });
    }
    found = which().stdout.trim();
  }
  if (!found) {
    throw new Error(
      'docker-compose is not installed and could not be installed (apt-get install docker-compose as root)',
    );
  }
  return found;
}

describe('docker-compose.yml structure', () => {
  const compose = loadCompose(read('docker-compose.yml'));
  const services = compose.services;

  it('has the datastores, the migration job, the five services and the proxy', () => {
    expect(Object.keys(services).sort()).toEqual(ALL_SERVICES);
  });

  it.each(SERVICES)('%s can scale: no container_name, no host ports', (name) => {
    const s = services[name]!;
    expect(s.container_name).toBeUndefined();
    expect(s.ports).toBeUndefined();
  });

  it('only the proxy publishes a public port, and no service has a container_name', () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, containerName: s.container_name }).toEqual({ name, containerName: undefined });
      if (name !== 'proxy' && name !== 'prometheus') {
        expect({ name, ports: s.ports }).toEqual({ name, ports: undefined });
      }
    }
    expect(services['proxy']!.ports).toEqual(['${PARLEY_PUBLIC_PORT:-8080}:8080']);
    // The optional Prometheus (profile `ops`) listens on the host's loopback only.
    expect(services['prometheus']!.ports).toEqual([
      '127.0.0.1:${PARLEY_PROMETHEUS_PORT:-9090}:9090',
    ]);
    expect((services['prometheus'] as { profiles?: string[] }).profiles).toEqual(['ops']);
  });

  it('Prometheus finds every instance of every service through Docker DNS', () => {
    const config = parse(read('infra/prometheus/prometheus.yml')) as {
      scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    const sd = config.scrape_configs[0]!.dns_sd_configs[0]!;
    expect([...sd.names].sort()).toEqual([...SERVICES].sort());
    expect(sd.port).toBe(8080);
  });

  it.each(SERVICES)('%s waits for the migration, a healthy database and NATS', (name) => {
    expect(dependsOn(services[name]!)).toEqual({
      migrate: 'service_completed_successfully',
      postgres: 'service_healthy',
      nats: 'service_healthy',
    });
  });

  it('the migration job waits for a healthy database and runs once', () => {
    const migrate = services['migrate']!;
    expect(dependsOn(migrate)).toEqual({ postgres: 'service_healthy' });
    expect(migrate.restart).toBe('no');
    expect(migrate.build?.dockerfile).toBe('infra/docker/migrate.Dockerfile');
  });

  it('every long-running container has a healthcheck; services probe /health/ready', () => {
    for (const [name, s] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect({ name, healthcheck: s.healthcheck !== undefined }).toEqual({
        name,
        healthcheck: true,
      });
    }
    for (const name of SERVICES) {
      expect(JSON.stringify(services[name]!.healthcheck?.test)).toContain('/health/ready');
    }
    expect(dependsOn(services['proxy']!)).toEqual({ gateway: 'service_healthy' });
  });

  it.each(SERVICES)(
    '%s is built from its own Dockerfile and configured from the environment',
    (name) => {
      const s = services[name]!;
      expect(s.build).toEqual({ context: '.', dockerfile: `infra/docker/${name}.Dockerfile` });
      expect(s.environment).toMatchObject({
        PARLEY_NATS_URL: 'nats://nats:4222',
        PARLEY_HTTP_PORT: '8080',
      });
      expect(s.environment?.['DATABASE_URL']).toMatch(
        /^postgresql:\/\/parley:.*@postgres:5432\/parley$/,
      );
    },
  );

  it('NATS runs with JetStream on a volume; PostgreSQL keeps its data on a volume', () => {
    expect(services['nats']!.volumes).toContain('natsdata:/data');
    expect(read('infra/nats/nats.conf')).toMatch(
      /jetstream\s*{[^}]*store_dir:\s*\/data\/jetstream/,
    );
    expect(JSON.stringify(services['nats']!.healthcheck?.test)).toContain('js-enabled-only=true');
    expect(services['postgres']!.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['natsdata', 'pgdata']);
  });
});

describe('docker-compose config (the real parser)', () => {
  let bin: string;
  // Installing docker-compose with apt-get can take a minute or two.
  beforeAll(() => {
    bin = dockerCompose();
  }, 600_000);

  const run = (args: string[]) =>
    spawnSync(bin, ['-f', COMPOSE, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env },
    });

  it('accepts the file and lists every service', () => {
    const quiet = run(['config', '-q']);
    expect({ status: quiet.status, stderr: quiet.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run(['config', '--services']).stdout.trim().split('\n').sort()).toEqual(ALL_SERVICES);
  });

  it('resolves to what the structural rules expect (anchors merged, variables filled)', () => {
    const resolved = loadCompose(run(['config']).stdout);
    for (const name of SERVICES) {
      const s = resolved.services[name]!;
      expect(s.container_name).toBeUndefined();
      expect(s.ports).toBeUndefined();
      expect(dependsOn(s)['migrate']).toBe('service_completed_successfully');
      expect(s.environment?.['DATABASE_URL']).toBe(
        'postgresql://parley:parley-dev-only@postgres:5432/parley',
      );
    }
    expect(resolved.services['gateway']!.environment?.['PARLEY_TRUST_PROXY']).toBe('1');
  });
});

describe('images and configuration files', () => {
  it.each(SERVICES)('%s: multi-stage, Nx build, slim runtime, non-root, HEALTHCHECK', (name) => {
    const file = `infra/docker/${name}.Dockerfile`;
    expect(existsSync(path.join(ROOT, file))).toBe(true);
    const text = read(file);
    const stages = [...text.matchAll(/^FROM (\S+) AS (\S+)$/gm)].map((m) => [m[1], m[2]]);
    expect(stages).toEqual([
      ['node:20-slim', 'build'],
      ['node:20-slim', 'runtime'],
    ]);
    expect(text).toContain(`RUN npx nx run ${name}:build`);
    expect(text).toContain(`COPY --from=build --chown=root:root /repo/dist/apps/${name}/ ./`);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n.*\/health\/ready/m);
    // The Nx target the image builds with exists.
    const project = JSON.parse(read(`apps/${name}/project.json`)) as {
      targets: Record<string, { options?: { command?: string } }>;
    };
    expect(project.targets['build']?.options?.command).toBe(`tsx tools/build/bundle.ts ${name}`);
  });

  it('the migration image carries the SQL migrations and runs as non-root', () => {
    const text = read('infra/docker/migrate.Dockerfile');
    expect(text).toContain('RUN npx nx run build:bundle-migrate');
    expect(text).toContain('PARLEY_PRISMA_DIR=/app/prisma');
    expect(text).toContain('COPY --from=build --chown=root:root /repo/prisma/ ./prisma/');
    expect(text).toMatch(/^USER node$/m);
  });

  it('the proxy passes WebSocket upgrades to every gateway and keeps /metrics inside', () => {
    const conf = read('infra/proxy/nginx.conf');
    expect(conf).toMatch(/resolver 127\.0\.0\.11 valid=\d+s/);
    expect(conf).toContain('set $gateway http://gateway:8080;');
    const live = /location \/v1\/ws \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    expect(live).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(live).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(live).toContain('proxy_http_version 1.1;');
    expect(conf).toContain('location = /metrics { return 404; }');
    expect(conf).toContain('proxy_set_header X-Request-Id $parley_request_id;');
  });

  it('the build context leaves out what npm ci and the build recreate', () => {
    const ignore = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', '.git', 'libs/db/src/generated']) {
      expect(ignore).toContain(entry);
    }
  });
});
