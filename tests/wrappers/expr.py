"""GitHub Actions expressions (${{ }}), enough of them to run composite actions.

evaluate() uses GitHub's own @actions/expressions (npm) through
expr_bridge.mjs when it is installed in tests/node_modules (or found at
$ACTIONS_EXPRESSIONS, the package's dist/index.js); otherwise, or with
BULWARK_EXPR_BACKEND=python, the evaluator below. The test case
expr-crosscheck compares the two.

Follows docs/actions "Evaluate expressions in workflows and actions": literals
(null, booleans, numbers, '' strings with '' escaping), property dereference
(a.b, a['b'], a.*), ! < <= > >= == != && ||, parentheses, and the functions
contains, startsWith, endsWith, format, join, toJSON, fromJSON, success,
always, failure, cancelled. Comparison of strings ignores case; values of
different types are coerced to numbers; && and || return operands, not
booleans. Names are case-insensitive.
"""
import atexit
import json
import math
import os
import re
import shutil
import subprocess

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>-?(?:0x[0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+))
  | (?P<str>'(?:[^']|'')*')
  | (?P<op>&&|\|\||==|!=|<=|>=|[<>!()\[\].,*])
  | (?P<id>[A-Za-z_][A-Za-z0-9_-]*)
""", re.X)


class ExprError(Exception):
    pass


def _tokens(src):
    pos, out = 0, []
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise ExprError(f"unexpected {src[pos:pos + 10]!r} in {src!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(kind)))
    out.append(("end", ""))
    return out


def to_str(v):
    if v is None:
        return ""
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, float):
        if v.is_integer():
            return str(int(v))
        return repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, indent=2)
    return str(v)


def truthy(v):
    if v is None or v is False:
        return False
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v != 0 and not (isinstance(v, float) and math.isnan(v))
    if isinstance(v, str):
        return v != ""
    return True


def _to_num(v):
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        if s == "":
            return 0.0
        try:
            return float(int(s, 16)) if s.lower().startswith("0x") else float(s)
        except ValueError:
            return math.nan
    return math.nan


def _cmp(a, b):
    """Returns -1/0/1, or None when incomparable (NaN)."""
    if isinstance(a, str) and isinstance(b, str):
        x, y = a.upper(), b.upper()
    elif type(a) is type(b) and isinstance(a, (dict, list)):
        return 0 if a is b else None
    else:
        x, y = _to_num(a), _to_num(b)
        if math.isnan(x) or math.isnan(y):
            return None
    return (x > y) - (x < y)


def _lookup(obj, key):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.lower() == str(key).lower():
                return v
        return None
    if isinstance(obj, list):
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            i = int(key)
            return obj[i] if 0 <= i < len(obj) else None
        return None
    return None


class _Parser:
    def __init__(self, src, ctx, status):
        self.t = _tokens(src)
        self.i = 0
        self.ctx = ctx
        self.status = status

    def peek(self):
        return self.t[self.i]

    def take(self, val=None):
        tok = self.t[self.i]
        if val is not None and tok[1] != val:
            raise ExprError(f"expected {val!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        v = self.or_()
        if self.peek()[0] != "end":
            raise ExprError(f"trailing {self.peek()[1]!r}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek()[1] == "||":
            self.take()
            r = self.and_()
            v = v if truthy(v) else r
        return v

    def and_(self):
        v = self.eq()
        while self.peek()[1] == "&&":
            self.take()
            r = self.eq()
            v = r if truthy(v) else v
        return v

    def eq(self):
        v = self.rel()
        while self.peek()[1] in ("==", "!="):
            op = self.take()[1]
            c = _cmp(v, self.rel())
            v = (c == 0) if op == "==" else (c != 0)
        return v

    def rel(self):
        v = self.unary()
        while self.peek()[1] in ("<", "<=", ">", ">="):
            op = self.take()[1]
            c = _cmp(v, self.unary())
            v = c is not None and {"<": c < 0, "<=": c <= 0, ">": c > 0,
                                   ">=": c >= 0}[op]
        return v

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.postfix(self.primary())

    def postfix(self, v):
        while True:
            tok = self.peek()[1]
            if tok == ".":
                self.take()
                kind, name = self.take()
                if name == "*":
                    v = self._star(v)
                elif kind != "id":
                    raise ExprError(f"bad property {name!r}")
                else:
                    v = self._deref(v, name)
            elif tok == "[":
                self.take()
                if self.peek()[1] == "*":
                    self.take()
                    v = self._star(v)
                else:
                    v = self._deref(v, self.or_())
                self.take("]")
            else:
                return v

    @staticmethod
    def _star(v):
        if isinstance(v, dict):
            return list(v.values())
        return list(v) if isinstance(v, list) else []

    @staticmethod
    def _deref(v, key):
        if isinstance(v, list) and v and isinstance(key, str):
            # Property of a filtered array: map over it.
            return [_lookup(x, key) for x in v]
        return _lookup(v, key)

    def primary(self):
        kind, val = self.take()
        if kind == "num":
            return float(int(val, 16)) if "x" in val.lower() else float(val)
        if kind == "str":
            return val[1:-1].replace("''", "'")
        if val == "(":
            v = self.or_()
            self.take(")")
            return v
        if kind != "id":
            raise ExprError(f"unexpected {val!r}")
        low = val.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        if self.peek()[1] == "(":
            self.take()
            args = []
            while self.peek()[1] != ")":
                args.append(self.or_())
                if self.peek()[1] == ",":
                    self.take()
            self.take(")")
            return self.call(low, args)
        return _lookup(self.ctx, low)

    def call(self, name, a):
        if name == "success":
            return self.status == "success"
        if name == "failure":
            return self.status == "failure"
        if name == "always":
            return True
        if name == "cancelled":
            return False
        if name == "contains":
            hay, needle = a
            if isinstance(hay, list):
                return any(_cmp(x, needle) == 0 for x in hay)
            return to_str(needle).upper() in to_str(hay).upper()
        if name == "startswith":
            return to_str(a[0]).upper().startswith(to_str(a[1]).upper())
        if name == "endswith":
            return to_str(a[0]).upper().endswith(to_str(a[1]).upper())
        if name == "format":
            fmt, rest = to_str(a[0]), a[1:]
            return re.sub(r"\{\{|\}\}|\{(\d+)\}",
                          lambda m: m.group(0)[0] if m.group(1) is None
                          else to_str(rest[int(m.group(1))]), fmt)
        if name == "join":
            sep = to_str(a[1]) if len(a) > 1 else ","
            if isinstance(a[0], list):
                return sep.join(to_str(x) for x in a[0])
            return to_str(a[0])
        if name == "tojson":
            return json.dumps(a[0], indent=2)
        if name == "fromjson":
            return json.loads(to_str(a[0]))
        raise ExprError(f"unknown function {name!r}")


def evaluate_python(src, ctx, status="success"):
    return _Parser(src, ctx, status).parse()


class _Bridge:
    def __init__(self, index_js):
        here = os.path.dirname(os.path.abspath(__file__))
        self.p = subprocess.Popen(
            ["node", os.path.join(here, "expr_bridge.mjs"), index_js],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        atexit.register(self.close)

    def eval(self, src, ctx, status):
        self.p.stdin.write(json.dumps({"expr": src, "ctx": ctx,
                                       "status": status}) + "\n")
        self.p.stdin.flush()
        r = json.loads(self.p.stdout.readline())
        if "error" in r:
            raise ExprError(f"{src!r}: {r['error']}")
        return r["value"]

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait()


_bridge = [None, False]  # instance, looked up


def actions_expressions():
    """Path of @actions/expressions' dist/index.js, or None."""
    cand = os.environ.get("ACTIONS_EXPRESSIONS") or os.path.join(
        os.environ.get("BULWARK_SRC") or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", ".."),
        "tests", "node_modules", "@actions", "expressions", "dist", "index.js")
    if os.path.isfile(cand) and shutil.which("node"):
        return cand
    return None


def bridge():
    if not _bridge[1]:
        _bridge[1] = True
        js = actions_expressions()
        if js and os.environ.get("BULWARK_EXPR_BACKEND", "actions") != "python":
            _bridge[0] = _Bridge(js)
    return _bridge[0]


def evaluate(src, ctx, status="success"):
    """Value of one expression (the text between ${{ and }})."""
    b = bridge()
    if b:
        return b.eval(src, ctx, status)
    return evaluate_python(src, ctx, status)


def _find_close(s, start):
    """Index of the '}}' ending an expression begun at start, skipping strings."""
    i, in_str = start, False
    while i < len(s):
        c = s[i]
        if c == "'":
            in_str = not in_str
        elif not in_str and s.startswith("}}", i):
            return i
        i += 1
    raise ExprError(f"unterminated expression in {s!r}")


def interpolate(s, ctx, status="success"):
    """A string value with embedded ${{ }}. A value that is exactly one
    expression keeps its type (as the runner does for if:)."""
    if not isinstance(s, str):
        return s
    out, i = [], 0
    stripped = s.strip()
    if stripped.startswith("${{") and _find_close(stripped, 3) == len(stripped) - 2:
        return evaluate(stripped[3:-2], ctx, status)
    while True:
        j = s.find("${{", i)
        if j < 0:
            out.append(s[i:])
            return "".join(out)
        out.append(s[i:j])
        k = _find_close(s, j + 3)
        out.append(to_str(evaluate(s[j + 3:k], ctx, status)))
        i = k + 2


def interpolate_str(s, ctx, status="success"):
    return to_str(interpolate(s, ctx, status))


def condition(s, ctx, status):
    """Step if:. A bare expression without ${{ }} is allowed; a condition
    without a status function gets an implicit success() &&."""
    if s is None:
        return status == "success"
    if isinstance(s, bool):
        return s and status == "success"
    text = s.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if not re.search(r"\b(success|failure|always|cancelled)\s*\(", text):
        text = f"success() && ({text})"
    return truthy(evaluate(text, ctx, status))
