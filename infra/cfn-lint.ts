import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cfnLint = join(import.meta.dirname, '..', '.tools', 'venv', 'bin', 'cfn-lint');

/** cfn-lint's errors in the given templates (by stack name), one per line, '' when clean; W-level findings are advice. */
export function cfnLintErrors(templates: Record<string, unknown>): string {
  if (!existsSync(cfnLint)) throw new Error('cfn-lint is installed by `node scripts/setup.mjs --test`');
  const dir = mkdtempSync(join(tmpdir(), 'cfn-'));
  const files = Object.entries(templates).map(([name, template]) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(template));
    return file;
  });
  try {
    return execFileSync(cfnLint, ['--format', 'parseable', '--regions', 'us-east-1', '--ignore-checks', 'W', '--', ...files], {
      encoding: 'utf8',
    }).trim();
  } catch (error) {
    // Exit code 2 = errors, listed on stdout.
    return ((error as { stdout?: string }).stdout ?? String(error)).trim();
  }
}
