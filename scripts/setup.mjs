#!/usr/bin/env node
// One idempotent set-up step that `npm start` and `npm test` run first: it builds what npm cannot install.
// FerretDB v1.24.2 is built from the Go module proxy (scripts/ferretdb/go.mod pins it) into .tools/bin.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolDir = join(root, 'scripts', 'ferretdb');
const binDir = join(root, '.tools', 'bin');
const ferretdb = join(binDir, 'ferretdb');
const stamp = join(binDir, 'ferretdb.stamp');
const goMod = readFileSync(join(toolDir, 'go.mod'), 'utf8');
const version = /github\.com\/FerretDB\/FerretDB (v[\d.]+)/.exec(goMod)?.[1];
if (!version) throw new Error('scripts/ferretdb/go.mod does not pin github.com/FerretDB/FerretDB');

function log(message) {
  process.stderr.write(`[setup] ${message}\n`);
}

function buildFerretDB() {
  if (process.env.MONGODB_URI) return log('MONGODB_URI is set: using that MongoDB-compatible server, not building FerretDB');
  if (existsSync(ferretdb) && existsSync(stamp) && readFileSync(stamp, 'utf8') === goMod) return;
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
  mkdirSync(binDir, { recursive: true });
  execFileSync('go', ['build', '-mod=vendor', '-trimpath', '-o', ferretdb, 'github.com/FerretDB/FerretDB/cmd/ferretdb'], {
    cwd: work,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  rmSync(work, { recursive: true, force: true });
  writeFileSync(stamp, goMod);
  log(`FerretDB ${version} built at ${ferretdb}`);
}

// Tests also check the synthesized CloudFormation with cfn-lint, from PyPI, in a venv under .tools/.
function installCfnLint() {
  const venv = join(root, '.tools', 'venv');
  const bin = join(venv, 'bin', 'cfn-lint');
  const pin = 'cfn-lint==1.58.0';
  const pinFile = join(venv, 'pin.txt');
  if (existsSync(bin) && existsSync(pinFile) && readFileSync(pinFile, 'utf8') === pin) return;
  log(`installing ${pin} into .tools/venv`);
  execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', pin], { stdio: 'inherit' });
  writeFileSync(pinFile, pin);
}

buildFerretDB();
if (process.argv.includes('--test')) installCfnLint();
