"""Each tool's main path through its wrapper, with the real binary from
BULWARK_BIN; a case skips while its tool lacks the flags it needs."""
import json
import os
import re

from wrapper_testlib import BIN, Sandbox, Skip, check, lines, need_sub, run

def case_exec_audit_append():
    need_sub("audit-append", "append", "--log", "--event", "--field")
    sb = Sandbox()
    try:
        title = 'Fix "; rm -rf ~; echo " $(id) `id`'
        for i in range(2):
            res = run(sb, "audit-append", {"event": "deploy",
                                           "fields": f"env=prod\ntitle={title}"},
                      BULWARK_BIN_DIR=BIN)
            check(res.success, "append failed", res)
            check(res.outputs["index"] == str(i), f"index {res.outputs}", res)
            check(re.fullmatch(r"[0-9a-f]{64}", res.outputs["leaf-hash"]), "leaf-hash")
        log = os.path.join(sb.ws, ".bulwark", "audit-log")
        check(os.path.isdir(log), "log not in the workspace")
        raw = b"".join(open(os.path.join(dp, f), "rb").read()
                       for dp, _, fs in os.walk(log) for f in fs)
        check(json.dumps(title)[1:-1].encode() in raw or title.encode() in raw,
              "the hostile title was not recorded verbatim")
        try:
            need_sub("audit-append", "keygen", "--origin", "--out")
            need_sub("audit-append", "checkpoint", "--key")
            need_sub("audit-append", "verify", "--log", "--key")
        except Skip:
            res = run(sb, "audit-append", {"command": "verify"}, BULWARK_BIN_DIR=BIN)
            check(res.success, "verify failed", res)
            return
        # The audit-trail workflow's path: a signer key from a secret signs a
        # checkpoint; verify trusts the verifier key.
        res = run(sb, "audit-append", {"command": "keygen", "origin": "example.com/audit",
                                       "output": sb.path("signer")}, BULWARK_BIN_DIR=BIN)
        check(res.success, "keygen failed", res)
        vkey = res.outputs["verifier-key"]
        check(vkey.startswith("example.com/audit+"), f"verifier-key {vkey!r}", res)
        with open(sb.path("signer.key"), encoding="utf-8") as f:
            secret = f.read().strip()
        res = run(sb, "audit-append", {"command": "checkpoint", "signing-key": secret},
                  BULWARK_BIN_DIR=BIN)
        check(res.success, "checkpoint failed", res)
        check(res.outputs["size"] == "2" and "example.com/audit" in res.outputs["checkpoint"],
              f"checkpoint outputs {res.outputs}", res)
        check(secret not in res.stdout + res.stderr, "the signer key was printed")
        res = run(sb, "audit-append", {"command": "verify", "key": vkey}, BULWARK_BIN_DIR=BIN)
        check(res.success, "verify failed", res)
    finally:
        sb.close()


def case_exec_sign_artifact():
    need_sub("sign-artifact", "sign", "--key", "--bundle-dir")
    need_sub("sign-artifact", "keygen", "--out")
    sb = Sandbox()
    try:
        res = run(sb, "sign-artifact", {"command": "keygen",
                                        "extra-args": f"--out\n{sb.path('k')}"},
                  BULWARK_BIN_DIR=BIN)
        check(res.success, "keygen failed", res)
        keys = sorted(f for f in os.listdir(sb.root) if f.startswith("k"))
        priv = [f for f in keys if "pub" not in f]
        check(priv, f"no private key among {keys}")
        with open(sb.path(priv[0]), encoding="utf-8") as f:
            pem = f.read()
        os.makedirs(os.path.join(sb.ws, "dist"))
        for n in ("a.bin", "b b.bin"):
            with open(os.path.join(sb.ws, "dist", n), "wb") as f:
                f.write(os.urandom(4096))
        res = run(sb, "sign-artifact", {"artifacts": "dist/*.bin", "signing-key": pem,
                                        "bundle-dir": "bundles"},
                  BULWARK_BIN_DIR=BIN)
        check(res.success, "sign failed", res)
        check(len(lines(res.outputs["bundle-paths"])) == 2, f"outputs {res.outputs}", res)
        for d in lines(res.outputs["digests"]):
            check(re.search(r"[0-9a-f]{64}", d), f"digest line {d!r}")
        check(not [f for f in os.listdir(sb.path("temp")) if f.startswith("bulwark-key")],
              "key file left in RUNNER_TEMP")
        pub = [f for f in keys if "pub" in f]
        bundle = os.path.join("bundles", "a.bin.sigstore.json")
        check(os.path.exists(os.path.join(sb.ws, bundle)), f"no {bundle}")
        res = run(sb, "sign-artifact", {"command": "verify", "key": sb.path(pub[0]),
                                        "bundle": bundle, "artifacts": "dist/a.bin"},
                  BULWARK_BIN_DIR=BIN)
        check(res.success and res.outputs["verified"] == "true", "verify failed", res)
        with open(os.path.join(sb.ws, "dist", "a.bin"), "r+b") as f:
            f.write(b"tampered")
        res = run(sb, "sign-artifact", {"command": "verify", "key": sb.path(pub[0]),
                                        "bundle": bundle, "artifacts": "dist/a.bin"},
                  BULWARK_BIN_DIR=BIN)
        check(res.rc == 1 and res.outputs["verified"] == "false",
              f"tampered artifact: exit {res.rc}, outputs {res.outputs}", res)
    finally:
        sb.close()


def case_exec_perf_shard():
    """ingest -> plan -> run through the wrapper: the matrix output has the
    planned shards, and the shards' "$@" together are every test once."""
    need_sub("perf-shard", "plan", "--shards", "--from-junit")
    sb = Sandbox()
    try:
        tests = {f"tests/test_{f}.py": t for f, t in
                 (("alpha", 3.5), ("beta", 1.25), ("gamma", 2.0), ("delta", 0.5),
                  ("eps ilon", 1.0))}
        cases = "".join(
            f'<testcase classname="c" name="t" file="{f}" time="{t}"/>'
            for f, t in tests.items())
        with open(os.path.join(sb.ws, "report.xml"), "w", encoding="utf-8") as f:
            f.write(f'<?xml version="1.0"?><testsuites><testsuite name="s">{cases}'
                    "</testsuite></testsuites>")
        res = run(sb, "perf-shard", {"command": "ingest", "junit": "report.xml",
                                     "out": "timings.json"}, BULWARK_BIN_DIR=BIN)
        check(res.success, "ingest failed", res)
        res = run(sb, "perf-shard", {"command": "plan", "timings": "timings.json",
                                     "from-junit": "report.xml", "unit": "file",
                                     "shards": "2", "out": "plan.json"},
                  BULWARK_BIN_DIR=BIN)
        check(res.success, "plan failed", res)
        m = json.loads(res.outputs["matrix"])
        check(m.get("shard") == [1, 2], f"matrix {m}")
        check(res.outputs["shards"] == "2", f"outputs {res.outputs}")
        got = []
        for i in (1, 2):
            res = run(sb, "perf-shard", {"command": "run", "plan": "plan.json",
                                         "index": str(i),
                                         "run": f'printf "%s\\n" "$@" > shard{i}.txt'},
                      BULWARK_BIN_DIR=BIN)
            check(res.success, f"run {i} failed", res)
            path = os.path.join(sb.ws, f"shard{i}.txt")
            if os.path.exists(path):
                with open(path, encoding="utf-8") as f:
                    got += [x for x in f.read().split("\n") if x]
        check(sorted(got) == sorted(tests), f"shards ran {sorted(got)}")
    finally:
        sb.close()


def case_exec_chaos_inject():
    """A dry run changes nothing; a real run under flaky-tests (probability
    0) runs the command and reports seed and journal through the outputs;
    a command failure passes through."""
    need_sub("chaos-inject", "run", "--scenario", "--seed", "--journal")
    sb = Sandbox()
    try:
        res = run(sb, "chaos-inject", {"scenario": "flaky-tests", "seed": "42",
                                       "dry-run": "true",
                                       "run": "echo ran > ran.txt"},
                  BULWARK_BIN_DIR=BIN)
        check(res.success, "dry run failed", res)
        check(not os.path.exists(os.path.join(sb.ws, "ran.txt")),
              "--dry-run ran the command")
        res = run(sb, "chaos-inject", {"scenario": "flaky-tests", "seed": "42",
                                       "journal": "journal.json",
                                       "extra-args": "--probability\n0",
                                       "run": "echo ran > ran.txt"},
                  BULWARK_BIN_DIR=BIN)
        check(res.success, "run failed", res)
        check(os.path.exists(os.path.join(sb.ws, "ran.txt")), "command did not run")
        check(res.outputs["seed"] == "42", f"outputs {res.outputs}", res)
        check(res.outputs["journal"].endswith("journal.json"), f"outputs {res.outputs}")
        with open(os.path.join(sb.ws, "journal.json"), encoding="utf-8") as f:
            json.load(f)
        res = run(sb, "chaos-inject", {"scenario": "flaky-tests", "seed": "7",
                                       "extra-args": "--probability\n0",
                                       "run": "exit 3"}, BULWARK_BIN_DIR=BIN)
        check(res.rc == 3, f"exit status not passed through: {res.rc}", res)
    finally:
        sb.close()


def case_exec_self_heal():
    need_sub("self-heal", "run", "--max-attempts")
    sb = Sandbox()
    try:
        script = ('n=$(cat n 2>/dev/null || echo 0); echo $((n+1)) > n; '
                  '[ "$n" -ge 1 ] || { echo "curl: (6) Could not resolve host: x" >&2; exit 6; }')
        res = run(sb, "self-heal", {"run": script, "max-attempts": "3", "wait": "0s"},
                  BULWARK_BIN_DIR=BIN)
        check(res.success, "self-heal run failed", res)
        check(res.outputs["attempts"] == "2", f"outputs {res.outputs}", res)
        res = run(sb, "self-heal", {"run": "echo 'error: expected ;' >&2; exit 3",
                                    "max-attempts": "3"}, BULWARK_BIN_DIR=BIN)
        check(res.rc == 3, f"exit status not passed through: {res.rc}", res)
        check(res.outputs["attempts"] == "1", f"deterministic retried {res.outputs}")
    finally:
        sb.close()
