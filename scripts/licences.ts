// The licences of what the image ships: `npm ci --omit=dev` installs the packages of package-lock.json that are not
// dev-only, and none of them may carry a copyleft licence (GPL, AGPL, LGPL, SSPL) or none at all. Dev-only
// packages (the IAM policy evaluator of the tests is AGPL-3.0) never reach the image or a running bot.
import { readFileSync } from 'node:fs';

interface LockPackage {
  license?: string;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
}

export interface LicenceProblem {
  name: string;
  license: string;
}

const COPYLEFT = /\b(A|L)?GPL\b|\bSSPL\b|\bEUPL\b|\bOSL\b/i;

/** Runtime packages (what `npm ci --omit=dev` installs) whose licence is copyleft or missing. */
export function runtimeLicenceProblems(lock: { packages: Record<string, LockPackage> }): LicenceProblem[] {
  const problems: LicenceProblem[] = [];
  for (const [path, pkg] of Object.entries(lock.packages)) {
    if (!path || pkg.dev || pkg.devOptional) continue;
    const license = pkg.license ?? '';
    // "MIT OR GPL-2.0" can be taken under MIT: copyleft only when no alternative without it is offered.
    const choices = license.replace(/[()]/g, '').split(/\s+OR\s+/i);
    if (!license || choices.every((c) => COPYLEFT.test(c)))
      problems.push({ name: path.replace(/^.*node_modules\//, ''), license: license || '(none given)' });
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
  const problems = runtimeLicenceProblems(lock);
  if (problems.length) {
    console.error(
      `Packages the image ships carry a copyleft licence or none (move them to devDependencies, or replace them):\n${problems.map((p) => `- ${p.name}: ${p.license}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log('licences: no copyleft or unlicensed package among the runtime dependencies');
}
