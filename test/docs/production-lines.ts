// docs/production.md's shell lines: each changes a machine (a global install, a system user, systemd,
// Docker, Kubernetes) and is not run here. Each names what it relies on, and the check holds that to
// the repository: test/operations/production-files.test.ts runs the Dockerfile's build and the image's entrypoint.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, type CommandLine } from './blocks.js';

const FILE = 'docs/production.md';
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const unit = () => read('deploy/plugway.service');
const k = (command: string) => `${FILE} » ${command}`;

export const PRODUCTION_SHOWN_NOT_RUN: Record<string, { reason: string; check: (line: CommandLine) => void | Promise<void> }> = {
  [k('npm install -g plugway')]: {
    reason: 'a global install from the registry; the package it installs is this one',
    check: () => {
      const pkg = JSON.parse(read('package.json')) as { name: string; bin: Record<string, string> };
      assert.equal(pkg.name, 'plugway');
      assert.ok(pkg.bin.plugway, 'package.json has bin.plugway');
    },
  },
  [k('sudo useradd --system --home-dir /var/lib/plugway --shell /usr/sbin/nologin plugway')]: {
    reason: 'creates a system user',
    check: () => assert.match(unit(), /^User=plugway$/m),
  },
  [k('sudo install -D -m 0644 deploy/plugway.service /etc/systemd/system/plugway.service')]: {
    reason: 'writes into /etc/systemd',
    check: () => assert.match(unit(), /^\[Install\]\nWantedBy=multi-user\.target$/m),
  },
  [k('sudo systemctl daemon-reload')]: { reason: 'needs systemd as PID 1', check: () => assert.match(unit(), /^\[Service\]$/m) },
  [k('sudo systemctl enable --now plugway')]: { reason: 'needs systemd as PID 1', check: () => assert.match(unit(), /^ExecStart=\/usr\/bin\/plugway serve --config /m) },
  [k('sudo systemctl reload plugway')]: {
    reason: 'needs systemd; the unit reloads with SIGHUP, which serve handles (test/operations/tls.test.ts reloads the pair)',
    check: () => {
      assert.match(unit(), /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
      assert.match(read('src/cli/commands/serve.ts'), /process\.on\('SIGHUP'/);
    },
  },
  [k('docker build -t plugway:0.1.0 .')]: {
    reason: 'needs a Docker engine; test/operations/production-files.test.ts lints the Dockerfile and runs its build step without one',
    check: () => assert.match(read('Dockerfile'), /^RUN npm ci .*&& npm run build$/m),
  },
  [k('docker run -p 8080:8080 -v plugway-state:/var/lib/plugway -v "$PWD/plugins:/etc/plugway/plugins:ro" -e PLUGWAY_ADMIN_TOKEN plugway:0.1.0')]: {
    reason: "needs a Docker engine; the image's entrypoint is run from its files by production-files.test.ts",
    check: () => {
      const d = read('Dockerfile');
      assert.match(d, /PLUGWAY_PORT=8080/);
      assert.match(d, /^VOLUME \["\/var\/lib\/plugway"\]$/m);
      assert.match(d, /^CMD \["serve", "--plugins", "\/etc\/plugway\/plugins"\]$/m);
    },
  },
  [k('kubectl create secret generic plugway --from-literal=admin-token="$(openssl rand -base64 32)"')]: {
    reason: 'needs a Kubernetes cluster',
    check: () => assert.match(read('deploy/kubernetes.yaml'), /secretKeyRef: \{ name: plugway, key: admin-token \}/),
  },
  [k('kubectl apply -f deploy/kubernetes.yaml')]: {
    reason: 'needs a Kubernetes cluster',
    check: () => {
      const kinds = parseAllDocuments(read('deploy/kubernetes.yaml')).map((d) => (d.toJS() as { kind: string }).kind);
      assert.deepEqual(kinds, ['Deployment', 'Service']);
    },
  },
  [k('tar -C /var/lib -czf plugway-state-backup.tgz plugway')]: {
    reason: 'reads /var/lib/plugway; the files it keeps are the ones the state dir holds',
    check: () => {
      for (const f of ['desired-state.json', 'audit.log', 'admin-token'])
        assert.match(read('src/gateway/gateway.ts') + read('src/state/admin-token.ts') + read('src/state/audit-log.ts'), new RegExp(f.replace('.', '\\.')));
      assert.match(read('src/state/state-lock.ts'), /gateway\.lock/);
    },
  },
};
