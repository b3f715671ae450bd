import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

/** Source paths of the tests as a user imports them. */
const PACKAGE_NAMES: [RegExp, string][] = [
  [/'\.\.\/\.\.\/src\/core\/index\.js'/g, "'txbox'"],
  [/'\.\.\/\.\.\/src\/(?:stores|adapters)\/([a-z-]+)\/index\.js'/g, "'txbox/$1'"],
  [/'\.\.\/\.\.\/src\/(testing|consumers)\/index\.js'/g, "'txbox/$1'"],
];

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');

/**
 * Every ```ts block of a docs page appears in a test file that runs it (indentation and blank
 * lines aside, source paths read as package names): the page shows tested code, not a copy that
 * drifts.
 */
export function assertSnippetsTested(page: URL, ...tests: URL[]): void {
  const doc = readFileSync(page, 'utf8');
  const tested = tests.map((test) => {
    let source = readFileSync(test, 'utf8');
    for (const [from, to] of PACKAGE_NAMES) source = source.replace(from, to);
    return lines(source);
  });
  const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length > 0, `${page.pathname} has code blocks`);
  for (const block of blocks) {
    assert.ok(tested.some((t) => t.includes(lines(block))), `this block of ${page.pathname} is in none of ${tests.map((t) => t.pathname).join(', ')}:\n${block}`);
  }
}

/** The same for the ```ts blocks of one section of a page (from its `## heading` to the next). */
export function assertSectionTested(page: URL, heading: string, ...tests: URL[]): void {
  const doc = readFileSync(page, 'utf8');
  const start = doc.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `${page.pathname} has a section "## ${heading}"`);
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const tested = tests.map((test) => {
    let source = readFileSync(test, 'utf8');
    for (const [from, to] of PACKAGE_NAMES) source = source.replace(from, to);
    return lines(source);
  });
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length > 0, `the section "${heading}" of ${page.pathname} has code blocks`);
  for (const block of blocks) {
    assert.ok(tested.some((t) => t.includes(lines(block))), `this block of ${page.pathname} (${heading}) is in none of ${tests.map((t) => t.pathname).join(', ')}:\n${block}`);
  }
}
