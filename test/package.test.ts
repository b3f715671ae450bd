import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const pkg = JSON.parse(read('package.json')) as { dependencies?: Record<string, string>; peerDependencies?: Record<string, string> };

/**
 * What `npm pack` would put in the tarball. The dry run still runs `prepack` (the build), so the
 * list and the files under dist/ are the ones a release would ship.
 */
async function packedFiles(): Promise<Set<string>> {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  const report = JSON.parse(stdout.slice(stdout.indexOf('['))) as { files: { path: string }[] }[];
  return new Set(report[0]!.files.map((f) => f.path));
}

/** Relative link targets in a Markdown file, resolved against the tarball root (no anchors, no URLs). */
function relativeLinks(file: string): string[] {
  const targets = [...read(file).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
  return targets
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => posix.normalize(posix.join(posix.dirname(file), t.split('#')[0]!)));
}

/** The packages a built file imports: bare specifiers, without node built-ins or subpaths. */
function importedPackages(file: string): string[] {
  // A specifier holds no white space: without that, `at('from', from)` would read as an import.
  const specifiers = [...read(file).matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"\s]+)['"]/g)].map((m) => m[1]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/'));
}

describe('the npm package', { timeout: 180_000 }, () => {
  let files = new Set<string>();
  before(async () => {
    files = await packedFiles();
  });

  it('ships the MIT licence of the txbox authors', () => {
    assert.ok(files.has('LICENSE'), 'LICENSE is in the tarball');
    assert.match(read('LICENSE'), /^MIT License\n\nCopyright \(c\) \d{4} the txbox authors\n/);
  });

  it('ships every file its shipped Markdown links to (the examples the docs point at included)', () => {
    const broken = [...files].filter((f) => f.endsWith('.md')).flatMap((f) => relativeLinks(f).filter((t) => !files.has(t)).map((t) => `${f} -> ${t}`));
    assert.deepEqual(broken, []);
    assert.ok(files.has('examples/monolith-sqlite.ts') && files.has('examples/monolith-postgres.ts'), 'the examples are shipped');
  });

  it('ships no source map, and no source-map reference, that points at a file it does not ship', () => {
    const dangling: string[] = [];
    for (const f of files) {
      if (f.endsWith('.map')) {
        const map = JSON.parse(read(f)) as { sources: string[]; sourceRoot?: string };
        for (const s of map.sources) {
          const target = posix.normalize(posix.join(posix.dirname(f), map.sourceRoot ?? '', s));
          if (!files.has(target)) dangling.push(`${f} -> ${target}`);
        }
      } else if (f.endsWith('.js') || f.endsWith('.d.ts')) {
        const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(read(f))?.[1];
        if (ref && !ref.startsWith('data:') && !files.has(posix.normalize(posix.join(posix.dirname(f), ref)))) dangling.push(`${f} -> ${ref}`);
      }
    }
    assert.deepEqual(dangling.slice(0, 10), [], `${dangling.length} dangling source-map references`);
  });

  it('needs only croner at run time, and only from txbox/consumers; every driver is a peer', () => {
    // The README's "What is in the box" says so: change it with this list.
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), ['croner']);
    const peers = new Set(Object.keys(pkg.peerDependencies ?? {}));
    const wrong: string[] = [];
    for (const f of files) {
      if (!f.startsWith('dist/') || !f.endsWith('.js')) continue;
      for (const name of importedPackages(f)) {
        const allowed = name === 'croner' ? f.startsWith('dist/consumers/') : peers.has(name) || name === 'txbox';
        if (!allowed) wrong.push(`${f} imports ${name}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok([...files].some((f) => f.startsWith('dist/consumers/') && importedPackages(f).includes('croner')), 'the check sees the croner import');
  });
});
