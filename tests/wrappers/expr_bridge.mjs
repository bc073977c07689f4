// Evaluates GitHub Actions expressions with GitHub's own @actions/expressions
// package for composite.py. Reads JSON lines {"expr", "ctx", "status"} on
// stdin and answers one JSON line each: {"value"} (plain JSON, strings as
// the runner coerces them are left to the caller) or {"error"}.
// Usage: node expr_bridge.mjs PATH/TO/node_modules/@actions/expressions/dist/index.js
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";

const mod = await import(pathToFileURL(process.argv[2]).href);
const { Lexer, Parser, Evaluator, data } = mod;

const status = (want) => ({
  name: want, minArgs: 0, maxArgs: 0,
  call: () => new data.BooleanData(current === want || want === "always"),
});
let current = "success";
const funcs = ["success", "failure", "always", "cancelled"].map(status);
const fmap = new Map(funcs.map((f) => [f.name.toLowerCase(), f]));

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  let out;
  try {
    const req = JSON.parse(line);
    current = req.status || "success";
    const ctx = JSON.parse(JSON.stringify(req.ctx || {}), data.reviver);
    const lr = new Lexer(req.expr).lex();
    const names = Object.keys(req.ctx || {});
    const ast = new Parser(lr.tokens, names, funcs).parse();
    const v = new Evaluator(ast, ctx, fmap).evaluate();
    out = { value: JSON.parse(JSON.stringify(v, data.replacer)), kind: v.kind,
            string: v.coerceString() };
  } catch (e) {
    out = { error: String(e && e.message ? e.message : e) };
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}
