// What the image ships carries no copyleft licence; dev-only packages (the tests' AGPL policy evaluator) may.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runtimeLicenceProblems } from '../../../scripts/licences.ts';

const lock = (packages: Record<string, { license?: string; dev?: boolean }>) => ({ packages: { '': {}, ...packages } });

describe('runtime licences', () => {
  it('names a runtime package under AGPL, GPL or LGPL, or with no licence at all', () => {
    expect(
      runtimeLicenceProblems(
        lock({
          'node_modules/a': { license: 'AGPL-3.0-or-later' },
          'node_modules/b': { license: 'GPL-2.0-only' },
          'node_modules/c/node_modules/d': { license: 'LGPL-3.0' },
          'node_modules/e': {},
          'node_modules/ok': { license: 'MIT' },
        }),
      ),
    ).toEqual([
      { name: 'a', license: 'AGPL-3.0-or-later' },
      { name: 'b', license: 'GPL-2.0-only' },
      { name: 'd', license: 'LGPL-3.0' },
      { name: 'e', license: '(none given)' },
    ]);
  });

  it('lets a dev-only copyleft package through, and a dual licence that offers a permissive choice', () => {
    expect(
      runtimeLicenceProblems(
        lock({
          'node_modules/@cloud-copilot/iam-simulate': { license: 'AGPL-3.0-or-later', dev: true },
          'node_modules/dual': { license: '(MIT OR GPL-3.0-or-later)' },
        }),
      ),
    ).toEqual([]);
  });

  it('finds nothing in this project: its AGPL packages are dev-only, and the image installs without them', () => {
    const real = JSON.parse(readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8'));
    expect(real.packages['node_modules/@cloud-copilot/iam-simulate']).toMatchObject({ dev: true });
    expect(runtimeLicenceProblems(real)).toEqual([]);
    expect(readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8')).toMatch(/npm ci --omit=dev/);
  });
});
