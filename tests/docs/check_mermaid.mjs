// Parses every ```mermaid block in the repository's Markdown with mermaid's
// own parser (jsdom stands in for the browser; no rendering). Prints one
// line per block and fails on the first parse error with file:line.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { JSDOM } from 'jsdom';

const root = process.argv[2];
const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
Object.defineProperty(globalThis, 'navigator',
  { value: dom.window.navigator, configurable: true });
const mermaid = (await import('mermaid')).default;
mermaid.initialize({ startOnLoad: false });

function* markdown(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'build' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* markdown(p);
    else if (name.endsWith('.md')) yield p;
  }
}

let blocks = 0, failed = 0;
for (const file of markdown(root)) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```mermaid') continue;
    const start = i + 1;
    const body = [];
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) body.push(lines[i]);
    blocks++;
    try {
      const r = await mermaid.parse(body.join('\n'));
      console.log(`ok   ${relative(root, file)}:${start} ${r.diagramType}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${relative(root, file)}:${start}: ${String(e.message).split('\n').slice(0, 4).join(' | ')}`);
    }
  }
}
if (blocks === 0) { console.log('no mermaid blocks found'); failed = 1; }
console.log(`${blocks - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
