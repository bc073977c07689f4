#!/usr/bin/env python3
"""Execution tests of action-wrappers/*: each case runs real action.yml files
through composite.py (a local stand-in for actions/runner) with a fake
runner environment. Usage: test_wrappers.py CASE; exit 0 pass, 1 fail,
77 skip (ctest SKIP_RETURN_CODE).

Environment: BULWARK_SRC (repo root), BULWARK_BIN (built tools; cases that
need a real tool skip when it is missing).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases_exec  # noqa: E402
import cases_harness  # noqa: E402
import cases_resolve  # noqa: E402
from wrapper_testlib import SKIP, TOOLS, Skip  # noqa: E402

CASES = {}
for _mod in (cases_harness, cases_resolve, cases_exec):
    for _n, _f in vars(_mod).items():
        if _n.startswith("case_"):
            CASES[_n[5:].replace("_", "-")] = _f
for _t in TOOLS:
    CASES[f"hostile-{_t}"] = (lambda t: lambda: cases_resolve.hostile_tool(t))(_t)

def main(argv):
    if len(argv) != 2 or argv[1] not in CASES:
        print("usage: test_wrappers.py CASE\ncases: " + " ".join(sorted(CASES)))
        return 2
    try:
        CASES[argv[1]]()
    except Skip as e:
        print(f"skip: {e}")
        return SKIP
    except AssertionError as e:
        print(f"FAIL {argv[1]}: {e}")
        return 1
    print(f"ok {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
