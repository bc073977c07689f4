#!/usr/bin/env python3
"""Scenario-driven fake of the GitHub REST API on 127.0.0.1 (stdlib only).

    fake_github.py --scenario S.json --port-file P [--log L.jsonl]

Binds 127.0.0.1 port 0, writes the port number to P atomically (P.tmp then
rename) once listening, serves (threaded, HTTP/1.1) until SIGTERM.

Scenario:
  {"routes": [
     {"method": "GET",          # default GET; "*" matches any method
      "path": "/repos/o/r/x",   # exact, or a prefix when it ends in "*"
      "query": {"page": "2"},   # optional: these params must be present
                                #   with these values (others are ignored)
      "responses": [            # served in order; the last repeats forever
        {"status": 200,         # default 200
         "headers": {"Link": "<{base}/x?page=2>; rel=\"next\""},
         "json": {...},         # body: one of json / text / file / none
         "text": "...",
         "file": "path",        # relative to the scenario file's directory
         "delay_ms": 0,         # sleep before answering (or dropping)
         "drop": false}]}]}     # close the socket without any answer

- Routes are tried in order; the first match wins, so list a route with a
  "query" before the same path without one.
- "{base}" in header values and in text/json strings becomes
  http://127.0.0.1:<port>.
- Default headers on every response: content-type (application/json;
  charset=utf-8 for json and for unmatched requests, text/plain for text,
  application/octet-stream for file), x-ratelimit-limit 5000,
  x-ratelimit-remaining 4999, x-ratelimit-reset now+3600, x-ratelimit-used
  1, x-ratelimit-resource core, x-github-request-id; content-length always.
  Scenario headers override them case-insensitively; a null value removes
  one.
- An unmatched request gets 404 {"message": "Not Found",
  "documentation_url": "https://docs.github.com/rest"}.
- The log gets one JSON line per request, written before the response is
  sent: {"method", "target" (the raw request target: an absolute URI when
  the server is used as an HTTP proxy), "path", "query" {name: value},
  "headers" {lower-cased name: value}, "body" (text), "route" (index of
  the matched route, -1 if none)}.
- Used as http_proxy, a request for http://any.host/p matches routes on
  its path "/p".
- Stateful git references: with "git_refs": {"repo": "o/r"} the server
  keeps refs of that repository in memory (thread-safe) and answers, when
  no route matched (or a matched response is {"pass": true}):
    POST   /repos/o/r/git/refs {"ref", "sha"}  201, or 422 "Reference
           already exists"
    GET    /repos/o/r/git/ref/<ref without refs/>           200 or 404
    GET    /repos/o/r/git/matching-refs/<prefix>  200 [...] (sorted)
    DELETE /repos/o/r/git/refs/<ref without refs/>  204, or 422
           "Reference does not exist"
    POST   /repos/o/r/git/commits {"message", "tree", "parents",
           "author", "committer"}  201 with the commit's real git sha,
           so equal fields give equal shas as on GitHub (nothing stored)
  So a test can put a 403 or a 5xx before the real answer:
  "responses": [{"status": 503}, {"pass": true}].
"""

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

NOT_FOUND = {
    "message": "Not Found",
    "documentation_url": "https://docs.github.com/rest",
}


def substitute(value, base):
    """Replace {base} in every string of a JSON value."""
    if isinstance(value, str):
        return value.replace("{base}", base)
    if isinstance(value, list):
        return [substitute(v, base) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, base) for k, v in value.items()}
    return value



def git_commit_sha(req):
    """The sha1 git gives the commit object GitHub would build from a
    create-commit body (dates default to now, as GitHub's do)."""
    import calendar
    import hashlib

    def person(p):
        p = p if isinstance(p, dict) else {}
        when = p.get("date")
        secs = (calendar.timegm(time.strptime(when, "%Y-%m-%dT%H:%M:%SZ"))
                if isinstance(when, str) else int(time.time()))
        return "%s <%s> %d +0000" % (p.get("name", "Fake GitHub"),
                                     p.get("email", "noreply@github.com"), secs)
    author = person(req.get("author"))
    committer = person(req.get("committer")) if req.get("committer") else author
    lines = ["tree " + req["tree"]]
    lines += ["parent " + p for p in req.get("parents") or []]
    lines += ["author " + author, "committer " + committer, "",
              req.get("message", "")]
    body = "\n".join(lines).encode()
    return hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()

class State:
    def __init__(self, scenario, scenario_dir, log_path):
        self.routes = scenario.get("routes", [])
        self.counters = [0] * len(self.routes)
        self.scenario_dir = scenario_dir
        self.log_path = log_path
        self.lock = threading.Lock()
        self.base = ""
        g = scenario.get("git_refs")
        self.refs_repo = g.get("repo") if isinstance(g, dict) else None
        self.refs = {}
        self.commits = 0

    def ref_json(self, ref, sha):
        url = "%s/repos/%s/git/%s" % (self.base, self.refs_repo, ref)
        return {"ref": ref, "node_id": "REF_" + sha[:12], "url": url,
                "object": {"sha": sha, "type": "commit",
                           "url": "%s/repos/%s/git/commits/%s"
                           % (self.base, self.refs_repo, sha)}}

    def git_refs(self, method, path, body):
        """(status, json) for the stateful git refs API, or None."""
        if not self.refs_repo:
            return None
        base = "/repos/%s/git/" % self.refs_repo
        if not path.startswith(base):
            return None
        rest = path[len(base):]
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return 400, {"message": "Problems parsing JSON"}
        invalid = (422, {"message": "Invalid request.",
                         "documentation_url": NOT_FOUND["documentation_url"]})
        with self.lock:
            if method == "POST" and rest == "refs":
                ref, sha = req.get("ref"), req.get("sha")
                if (not isinstance(ref, str) or not ref.startswith("refs/")
                        or ref.count("/") < 2 or not isinstance(sha, str)
                        or len(sha) != 40):
                    return invalid
                if ref in self.refs:
                    return 422, {"message": "Reference already exists",
                                 "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference"}
                self.refs[ref] = sha
                return 201, self.ref_json(ref, sha)
            if method == "POST" and rest == "commits":
                if not isinstance(req.get("tree"), str):
                    return invalid
                sha = git_commit_sha(req)
                return 201, {"sha": sha, "message": req.get("message", ""),
                             "tree": {"sha": req["tree"]},
                             "parents": [{"sha": p} for p in req.get("parents") or []]}
            if method == "GET" and rest.startswith("ref/"):
                ref = "refs/" + rest[4:]
                if ref not in self.refs:
                    return 404, NOT_FOUND
                return 200, self.ref_json(ref, self.refs[ref])
            if method == "GET" and rest.startswith("matching-refs/"):
                pre = "refs/" + rest[len("matching-refs/"):]
                return 200, [self.ref_json(r, self.refs[r])
                             for r in sorted(self.refs) if r.startswith(pre)]
            if method == "DELETE" and rest.startswith("refs/"):
                ref = rest
                if ref not in self.refs:
                    return 422, {"message": "Reference does not exist"}
                del self.refs[ref]
                return 204, None
        return None

    def match(self, method, path, query):
        for i, r in enumerate(self.routes):
            m = r.get("method", "GET")
            if m != "*" and m.upper() != method:
                continue
            rp = r.get("path", "")
            if rp.endswith("*"):
                if not path.startswith(rp[:-1]):
                    continue
            elif rp != path:
                continue
            want = r.get("query") or {}
            if any(query.get(k) != str(v) for k, v in want.items()):
                continue
            return i
        return -1

    def next_response(self, i):
        with self.lock:
            resps = self.routes[i].get("responses") or [{"status": 200}]
            n = self.counters[i]
            self.counters[i] += 1
        return resps[min(n, len(resps) - 1)]

    def log(self, entry):
        if not self.log_path:
            return
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # server_close() joins every handler thread: an idle keep-alive
    # connection a client never closes must not hold the shutdown forever.
    timeout = 30

    def version_string(self):
        return "fake-github"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def read_body(self):
        n = int(self.headers.get("content-length") or 0)
        if n > 0:
            return self.rfile.read(n)
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def handle_any(self):
        st = self.server.state
        target = self.path
        parts = urlsplit(target)
        path = parts.path or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = self.read_body()
        method = self.command.upper()
        i = st.match(method, path, query)
        st.log({
            "method": method,
            "target": target,
            "path": path,
            "query": query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "route": i,
        })
        r = st.next_response(i) if i >= 0 else {"pass": True}
        if r.get("pass"):
            g = st.git_refs(method, path, body)
            if g is None:
                r = {"status": 404, "json": NOT_FOUND}
            else:
                r = {"status": g[0]}
                if g[1] is not None:
                    r["json"] = g[1]
        self.reply(r)

    def reply(self, r):
        st = self.server.state
        if r.get("delay_ms"):
            time.sleep(r["delay_ms"] / 1000.0)
        if r.get("drop"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status = int(r.get("status", 200))
        ctype = "application/json; charset=utf-8"
        if "json" in r:
            data = json.dumps(substitute(r["json"], st.base)).encode()
        elif "text" in r:
            data = substitute(r["text"], st.base).encode()
            ctype = "text/plain; charset=utf-8"
        elif "file" in r:
            p = os.path.join(st.scenario_dir, r["file"])
            with open(p, "rb") as f:
                data = f.read()
            ctype = "application/octet-stream"
        else:
            data = b""
        headers = {
            "content-type": ctype,
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "4999",
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-used": "1",
            "x-ratelimit-resource": "core",
            "x-github-request-id": uuid.uuid4().hex[:16].upper(),
        }
        for k, v in (r.get("headers") or {}).items():
            headers.pop(k.lower(), None)
            if v is not None:
                headers[k.lower()] = substitute(str(v), st.base)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any
    do_HEAD = do_OPTIONS = handle_any


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    a = ap.parse_args()

    with open(a.scenario, encoding="utf-8") as f:
        scenario = json.load(f)
    sdir = os.path.dirname(os.path.abspath(a.scenario))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.state = State(scenario, sdir, a.log)
    port = srv.server_address[1]
    srv.state.base = "http://127.0.0.1:%d" % port

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % port)
    os.replace(tmp, a.port_file)
    try:
        srv.serve_forever(poll_interval=0.1)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
