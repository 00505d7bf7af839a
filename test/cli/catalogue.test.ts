import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { captureStdio } from '../helpers/stdio.js';
import { main } from '../../src/cli/main.js';

const scenario = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const io = captureStdio();

describe('nextbest catalogue', () => {
  it('imports a YAML as the version in force, exports versions as YAML that import back unchanged, and lists them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-catalogue-'));
    const dataDir = join(dir, 'data');
    const common = ['--data-dir', dataDir, '--config', join(dir, 'none.yaml')];

    // First start: the built-in catalogue becomes the first version; the import replaces it.
    expect(await main(['catalogue', 'import', scenario, '--author', 'ana', ...common])).toBe(0);
    const imported = JSON.parse(io.out);
    expect(imported.changed).toBe(true);

    io.out = '';
    expect(await main(['catalogue', 'versions', ...common])).toBe(0);
    const listed = JSON.parse(io.out);
    expect(listed.current).toBe(imported.catalogueVersion);
    expect(listed.versions.map((v: { source: string; author: string | null }) => [v.source, v.author])).toEqual([
      ['import', 'ana'],
      ['config', null],
    ]);
    expect(listed.versions[0].replaces).toBe(imported.replaced);

    io.out = '';
    expect(await main(['catalogue', 'export', ...common])).toBe(0);
    const exported = io.out;
    expect(parseYaml(exported).actions.map((a: { id: string }) => a.id)).toEqual(['card', 'saver', 'fund', 'help', 'spring']);
    // The export imports back to the same version: nothing new is stored.
    const again = join(dir, 'again.yaml');
    writeFileSync(again, exported);
    io.out = '';
    expect(await main(['catalogue', 'import', again, ...common])).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ catalogueVersion: imported.catalogueVersion, replaced: imported.catalogueVersion, changed: false });

    // The older (built-in) version is still there to export.
    const old = join(dir, 'old.yaml');
    expect(await main(['catalogue', 'export', '--version', imported.replaced, '--out', old, ...common])).toBe(0);
    expect(parseYaml(readFileSync(old, 'utf8')).actions.length).toBe(24);
  });

  it('names the field of a broken file and stores nothing; an unknown version is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-catalogue-'));
    const common = ['--data-dir', join(dir, 'data'), '--config', join(dir, 'none.yaml')];
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, readFileSync(scenario, 'utf8').replace('family: savings', 'family: lottery'));
    expect(await main(['catalogue', 'import', broken, ...common])).toBe(1);
    expect(io.err).toMatch(/VALIDATION_FAILED.*actions\.1\.family/);
    expect(await main(['catalogue', 'export', '--version', 'nope', ...common])).toBe(1);
    expect(io.err).toMatch(/NOT_FOUND/);
    io.out = '';
    expect(await main(['catalogue', 'versions', ...common])).toBe(0);
    expect(JSON.parse(io.out).versions).toHaveLength(1);
    expect(await main(['catalogue', 'import', ...common])).toBe(2);
    expect(await main(['catalogue', 'rename', ...common])).toBe(2);
  });
});
