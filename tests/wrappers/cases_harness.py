"""Cases that test the test tools: the validator, the expression
evaluator, the file-command parser."""
import os
import shutil
import tempfile

import composite
import expr
from wrapper_testlib import Skip, action, check

def case_validate_selftest():
    """The validator must reject each rule violation (else it proves nothing)."""
    import validate_actions
    good = os.path.join(action("audit-append"), "action.yml")
    with open(good, encoding="utf-8") as f:
        text = f.read()
    bad = {
        "expression in run": text.replace('opt --event "$INPUT_EVENT"',
                                          'opt --event "${{ inputs.event }}"'),
        "unquoted": text.replace('opt --event "$INPUT_EVENT"', "opt --event $INPUT_EVENT"),
        "hyphen env": text.replace("INPUT_OLD_SIZE: ${{ inputs.old-size }}",
                                   "INPUT_OLD-SIZE: ${{ inputs.old-size }}"),
        "not passed": text.replace('opt --since "$INPUT_SINCE"', 'echo "$INPUT_SINCE"'),
        "unmapped": text.replace("        INPUT_TILES: ${{ inputs.tiles }}\n", ""),
        "output value": text.replace("${{ steps.run.outputs.root }}", "${{ env.ROOT }}"),
        "output step": text.replace("${{ steps.run.outputs.root }}",
                                    "${{ steps.nope.outputs.root }}"),
        "action_path": text.replace('. "$GITHUB_ACTION_PATH/../setup/lib.sh"',
                                    '. "${{ github.action_path }}/../setup/lib.sh"'),
        "branding": text.replace("icon: book", "icon: key"),
        "no description": text.replace(
            "    description: Log directory (--log).\n", ""),
        "shell": text.replace("      shell: bash\n      env:\n        BULWARK_TOOL: audit-append\n"
                              "        BULWARK_EXE", "      shell: sh\n      env:\n"
                              "        BULWARK_TOOL: audit-append\n        BULWARK_EXE"),
    }
    WANT = {'expression in run': 'inside run', 'unquoted': 'not double-quoted', 'hyphen env': "has '-'", 'not passed': 'not passed as a quoted long option', 'unmapped': "'tiles': never reaches", 'output value': 'value must be', 'output step': 'no step with id', 'action_path': 'github.action_path', 'branding': 'branding.icon', 'no description': 'no description', 'shell': 'shell must be bash'}
    d = tempfile.mkdtemp()
    try:
        # Mirror the layout: the validator reads ../setup/resolve.sh.
        shutil.copytree(action("setup"), os.path.join(d, "setup"))
        os.makedirs(os.path.join(d, "audit-append"))
        p = os.path.join(d, "audit-append", "action.yml")
        check(not validate_actions.check(good), "the real action.yml must pass")
        for what, t in bad.items():
            check(t != text, f"mutation '{what}' did not apply")
            with open(p, "w", encoding="utf-8") as f:
                f.write(t)
            errs = validate_actions.check(p)
            check(any(WANT[what] in e for e in errs),
                  f"validator missed '{what}': {errs}")
    finally:
        shutil.rmtree(d)


def case_expr():
    """The expression evaluator follows GitHub's documented semantics."""
    ctx = {"inputs": {"a": "x", "empty": ""}, "github": {"event": {"n": 3}},
           "steps": {"s-1": {"outputs": {"k": "v"}}}}
    e = expr.evaluate
    check(e("inputs.a", ctx) == "x", "property")
    check(e("inputs.empty || 'dflt'", ctx) == "dflt", "|| returns operand")
    check(e("inputs.a && 'y'", ctx) == "y", "&& returns operand")
    check(e("'ABC' == 'abc'", ctx) is True, "case-insensitive ==")
    check(e("github.event.n == '3'", ctx) is True, "number/string coercion")
    check(e("steps.s-1.outputs.k", ctx) == "v", "hyphenated id")
    check(e("steps['s-1'].outputs['k']", ctx) == "v", "index syntax")
    check(e("format('{0}-{{1}}', 'a')", ctx) == "a-{1}", "format")
    check(e("contains(fromJSON('[\"a\",\"b\"]'), 'B')", ctx) is True, "contains array")
    check(e("!startsWith('abc', 'AB')", ctx) is False, "startsWith")
    check(e("'it''s'", ctx) == "it's", "quote escape")
    check(expr.interpolate_str("p-${{ inputs.a }}-${{ inputs.nope }}", ctx) == "p-x-",
          "interpolation")
    check(expr.condition("failure()", ctx, "failure"), "failure()")
    check(not expr.condition("inputs.a == 'x'", ctx, "failure"), "implicit success()")


def case_expr_crosscheck():
    """The Python evaluator agrees with GitHub's @actions/expressions on
    every expression form the wrappers and the harness rely on."""
    js = expr.actions_expressions()
    if not js:
        raise Skip("@actions/expressions not installed in tests/node_modules")
    b = expr._Bridge(js)
    ctx = {"inputs": {"a": "x", "empty": "", "n": "3", "flag": "true"},
           "github": {"event": {"n": 3, "list": ["a", "B"], "pr": {"title": "T"}},
                      "repository": "o/r", "token": "t"},
           "steps": {"s-1": {"outputs": {"k": "v", "json": '{"shard":[1,2]}'}}},
           "runner": {"os": "Linux", "arch": "X64"}, "env": {}, "matrix": {}}
    exprs = ["inputs.a", "inputs.empty", "inputs.nope", "inputs.empty || 'dflt'",
             "inputs.a && 'y'", "inputs.empty && 'y'", "'ABC' == 'abc'",
             "github.event.n == '3'", "inputs.n == 3", "inputs.n < 10", "inputs.flag == true",
             "steps.s-1.outputs.k", "steps['s-1'].outputs['k']", "github.event.list[1]",
             "format('{0}-{{1}}', 'a')", "contains(github.event.list, 'b')",
             "contains('Hello', 'ell')", "startsWith('abc', 'AB')", "endsWith('abc', 'BC')",
             "!inputs.empty", "fromJSON(steps.s-1.outputs.json).shard[1]",
             "join(github.event.list, '+')", "github.event.pr.title",
             "runner.os == 'Linux' && runner.arch", "null == inputs.nope",
             "(1 == 1) || false", "'it''s'", "1.5 > 1", "0x10 == 16", "github.repository",
             "matrix.shard", "inputs.empty == 0", "'' == false"]
    try:
        for src in exprs:
            for status in ("success", "failure"):
                py = expr.evaluate_python(src, ctx, status)
                gh = b.eval(src, ctx, status)
                check(expr.to_str(py) == expr.to_str(gh),
                      f"{src!r}: python {py!r}, @actions/expressions {gh!r}")
        for src in ("success() && inputs.a", "failure()", "always()"):
            for status in ("success", "failure"):
                check(expr.truthy(expr.evaluate_python(src, ctx, status)) ==
                      expr.truthy(b.eval(src, ctx, status)), f"{src} at {status}")
    finally:
        b.close()


def case_file_commands():
    """composite.py parses file commands as the runner does, errors included."""
    p = composite.parse_file_commands
    check(p("a=1\nb<<D\nx\ny\nD\n", "o") == {"a": "1", "b": "x\ny"}, "forms")
    check(p("a=b<<c\n", "o") == {"a": "b<<c"}, "first of = and << wins")
    for bad in ("b<<D\nx\n", "novalue\n", "<<D\nx\nD\n", "b<<D\nx\r\nD\r\n"):
        try:
            p(bad, "o")
        except composite.FileCommandError:
            continue
        raise AssertionError(f"accepted {bad!r}")
    cmds = composite.scan_commands("::stop-commands::tok\n::error::no\n::tok::\n::warning::yes")
    check([c["command"] for c in cmds] == ["stop-commands", "warning"], f"stop-commands {cmds}")
