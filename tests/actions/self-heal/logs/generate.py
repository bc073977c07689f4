import os, random
random.seed(7)
D = os.path.dirname(os.path.abspath(__file__))  # regenerates the excerpts beside it
T0 = "2024-10-18T23:27:%02d.%07dZ "
def ts(i): return T0 % (i % 60, (i * 7919) % 10000000)
def log(name, label, source, step, lines, exit_code=1, ansi=False):
    out = [ts(0) + "##[group]Run " + step, ts(1) + step, ts(2) + "shell: /usr/bin/bash -e {0}", ts(3) + "##[endgroup]"]
    for i, l in enumerate(lines):
        if ansi and i % 2 == 0:
            l = "\x1b[31m" + l + "\x1b[0m"
        out.append(ts(4 + i) + l)
    out.append(ts(5 + len(lines)) + "##[error]Process completed with exit code %d." % exit_code)
    open(os.path.join(D, name + ".log"), "w").write("\n".join(out) + "\n")
    rows.append((name + ".log", label, source))
rows = []
N, R, F, C, I, O = "network", "rate_limit", "disk_full", "cache_corrupt", "infra", "oom"
DET, DEP, UNK = "deterministic", "dependency", "unknown"
# ---- network
log("npm-econnreset", N, "research §6 npm; actions/runner-images#3737", "npm ci",
    ["npm error code ECONNRESET", "npm error network aborted", "npm error network This is a problem related to network connectivity.",
     "npm error A complete log of this run can be found in: /home/runner/.npm/_logs/2024-10-18T23_27_40_660Z-debug-0.log"], ansi=True)
log("npm-invalid-body", N, "research §6 npm/cli#8015", "npm ci",
    ["npm error network Invalid response body while trying to fetch https://registry.npmjs.org/@types%2fnode: aborted"])
log("npm-eai-again", N, "research §6 npm EAI_AGAIN", "npm install",
    ["npm ERR! code EAI_AGAIN", "npm ERR! syscall getaddrinfo", "npm ERR! errno EAI_AGAIN",
     "npm ERR! request to https://registry.npmjs.org/react failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org:443"])
log("yarn-esockettimedout", N, "research §6 yarnpkg/yarn#5259", "yarn install --frozen-lockfile",
    ["[1/4] Resolving packages...", "[2/4] Fetching packages...", "info There appears to be trouble with your network connection. Retrying...",
     'error An unexpected error occurred: "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz: ESOCKETTIMEDOUT".'])
log("pnpm-econnreset", N, "research §6 pnpm/pnpm#6527", "pnpm install",
    [" WARN  GET https://registry.npmjs.org/typescript error (ECONNRESET). Will retry in 10 seconds. 2 retries left.",
     " ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/typescript: request to https://registry.npmjs.org/typescript failed, reason: socket hang up"])
log("pip-read-timeout", N, "research §6 conbench/conbench#815", "pip install -r requirements.txt",
    ["Collecting numpy==1.26.4", "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Read timed out. (read timeout=15)\")': /packages/numpy.whl",
     "pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Read timed out."])
log("maven-connection-reset", N, "research §6 INTO-CPS-Association/maestro#311", "mvn -B verify",
    ["[INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/junit/junit-bom/5.10.0/junit-bom-5.10.0.pom",
     "[ERROR] Failed to execute goal on project core: Could not resolve dependencies for project x:core:jar:1.0: Could not transfer artifact org.junit:junit-bom:pom:5.10.0 from/to central (https://repo.maven.apache.org/maven2): Connection reset -> [Help 1]"])
log("maven-unknown-host", N, "research §6 actions/runner-images#1499", "mvn -B package",
    ["[ERROR] Could not transfer artifact org.apache:apache:pom:23 from/to central (https://repo.maven.apache.org/maven2): Unknown host repo.maven.apache.org"])
log("gradle-502", N, "research §6 gradle/gradle#19907", "./gradlew build",
    ["> Could not resolve com.google.guava:guava:32.1.2-jre.", "   > Could not get resource 'https://repo.maven.apache.org/maven2/com/google/guava/guava/32.1.2-jre/guava-32.1.2-jre.pom'.",
     "      > Could not GET 'https://repo.maven.apache.org/maven2/com/google/guava/guava/32.1.2-jre/guava-32.1.2-jre.pom'. Received status code 502 from server: Bad Gateway"])
log("go-proxy-io-timeout", N, "research §6 golang/go#34548", "go mod download",
    ["go: downloading github.com/stretchr/testify v1.9.0",
     "go: github.com/stretchr/testify@v1.9.0: Get \"https://proxy.golang.org/github.com/stretchr/testify/@v/v1.9.0.zip\": dial tcp 142.250.72.17:443: i/o timeout"])
log("go-tls-handshake", N, "research §6 golang/go#47937", "go build ./...",
    ["go: github.com/spf13/cobra@v1.8.0: Get \"https://proxy.golang.org/github.com/spf13/cobra/@v/v1.8.0.mod\": net/http: TLS handshake timeout"])
log("cargo-spurious", N, "research §6 rust-lang/crates.io#7074", "cargo build --locked",
    ["    Updating crates.io index", "warning: spurious network error (2 tries remaining): [28] Timeout was reached (Operation timed out after 30000 milliseconds with 0 bytes received)",
     "error: failed to download from `https://crates.io/api/v1/crates/serde/1.0.197/download`", "Caused by:", "  failed to get 200 response from `https://static.crates.io/crates/serde/serde-1.0.197.crate`, got 502"])
log("apt-hash-sum", N, "research §6 actions/runner-images#7067", "sudo apt-get update",
    ["Err:8 https://packages.microsoft.com/ubuntu/22.04/prod jammy/main amd64 Packages", "  Hash Sum mismatch",
     "E: Failed to fetch https://packages.microsoft.com/ubuntu/22.04/prod/dists/jammy/main/binary-amd64/Packages.bz2  File has unexpected size (17314 != 17306). Mirror sync in progress? [IP: 13.90.56.68 443]",
     "E: Some index files failed to download. They have been ignored, or old ones used instead."])
log("docker-client-timeout", N, "research §6 moby/buildkit#4536", "docker pull node:20",
    ['Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)'])
log("git-rpc-failed", N, "research §6 actions/checkout#1871", "git fetch --depth=1 origin main",
    ["error: RPC failed; curl 92 HTTP/2 stream 0 was not closed cleanly: CANCEL (err 8)", "error: 4520 bytes of body are still expected",
     "fetch-pack: unexpected disconnect while reading sideband packet", "fatal: early EOF", "fatal: fetch-pack: invalid index-pack output"], exit_code=128)
log("git-remote-hung-up", N, "research §6 actions/checkout#1871", "git clone https://github.com/o/r.git",
    ["Cloning into 'r'...", "error: RPC failed; curl 56 GnuTLS recv error (-9): Error decoding the received TLS packet.",
     "fatal: the remote end hung up unexpectedly", "fatal: early EOF", "fatal: index-pack failed"], exit_code=128)
log("curl-could-not-resolve", N, "research §6 network tokens", "curl -fsSL https://get.example.dev/install.sh | sh",
    ["curl: (6) Could not resolve host: get.example.dev"], exit_code=6)
log("curl-503", N, "research §6 network tokens", "curl -fsSL -o tool.tgz https://downloads.example.org/tool.tgz",
    ["curl: (22) The requested URL returned error: 503", "HTTP/2 503 Service Unavailable"], exit_code=22)
log("wget-504", N, "research §6 network tokens", "wget -q https://mirror.example.org/file.tar.xz",
    ["--2024-10-18 23:27:40--  https://mirror.example.org/file.tar.xz", "HTTP request sent, awaiting response... 504 Gateway Timeout",
     "2024-10-18 23:27:55 ERROR 504: Gateway Timeout."], exit_code=8)
log("node-etimedout", N, "research §6 network tokens", "node scripts/fetch-fixtures.js",
    ["Error: connect ETIMEDOUT 140.82.112.3:443", "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16) {", "  errno: -110,", "  code: 'ETIMEDOUT',"])
log("registry-conn-refused", N, "research §4 smart-retry context gate", "docker push ghcr.io/o/app:sha",
    ["The push refers to repository [ghcr.io/o/app]", "Get \"https://ghcr.io/v2/\": dial tcp 140.82.113.34:443: connect: connection refused"])
log("pip-connection-reset", N, "research §6 pip", "pip install torch",
    ["ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Max retries exceeded with url: /packages/torch.whl (Caused by ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))"])
log("actions-cache-503", N, "research §6 actions/cache#820", "actions/cache@v4",
    ["Warning: Failed to restore: getCacheEntry failed: Cache service responded with 503", "Cache not found for input keys: Linux-node-abc", "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to objects.githubusercontent.com:443"])
log("dns-temp-failure", N, "research §6 network tokens", "git ls-remote https://gitlab.example.com/g/p.git",
    ["fatal: unable to access 'https://gitlab.example.com/g/p.git/': Could not resolve host: gitlab.example.com", "ssh: Could not resolve hostname gitlab.example.com: Temporary failure in name resolution"], exit_code=128)
# ---- rate limit
log("docker-pull-rate-limit", R, "research §6 aquasecurity/tracee#4248", "docker pull alpine:3.20",
    ["Error response from daemon: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"])
log("gh-secondary-rate-limit", R, "research §5 JasonEtco/create-an-issue#128", "gh issue create",
    ["HTTP 403: You have exceeded a secondary rate limit. Please wait a few minutes before you try again. (https://api.github.com/repos/o/r/issues)", "retry-after: 60"])
log("gh-api-rate-limit", R, "research §6 GitHub API", "gh api repos/o/r/releases",
    ["gh: API rate limit exceeded for installation ID 1234567. (HTTP 403)", "x-ratelimit-remaining: 0", "x-ratelimit-reset: 1729294060"])
log("http-429", R, "research §6 network tokens", "python scripts/upload.py",
    ["requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: https://api.example.com/upload",
     "HTTP/1.1 429 Too Many Requests", "Retry-After: 30"])
# ---- disk
log("enospc-dotnet", F, "research §6 actions/runner-images#9494", "dotnet build -c Release",
    ["Unhandled exception. System.IO.IOException: No space left on device : '/home/runner/work/_temp/_runner_file_commands/step_summary_1'"])
log("enospc-python", F, "research §6 actions/runner-images#10386", "python -m build",
    ["OSError: [Errno 28] No space left on device: '/tmp/build-env-xyz/lib/python3.12/site-packages/torch/lib/libtorch_cuda.so'"])
log("runner-low-disk", F, "research §6 actions/runner-images#2840", "docker build -t app .",
    ["You are running out of disk space. The runner will stop working when the machine runs out of disk space. Free space left: 72 MB",
     "failed to copy files: copy file range failed: no space left on device"])
log("npm-enospc", F, "research §6 disk", "npm ci",
    ["npm error code ENOSPC", "npm error syscall write", "npm error errno -28", "npm error nospc Invalid response body while trying to fetch https://registry.npmjs.org/esbuild: ENOSPC: no space left on device, write"])
# ---- cache corrupt
log("npm-eintegrity", C, "research §6 npm/npm#17474", "npm ci",
    ["npm error code EINTEGRITY",
     "npm error sha512-V3bXn0iKp8Bqm0qX5mvJcXc9z9vZp2gk3Yy2G1d7y3bYvZzPn0A== integrity checksum failed when using sha512: wanted sha512-V3bXn0iKp8Bqm0qX5mvJcXc9z9vZp2gk3Yy2G1d7y3bYvZzPn0A== but got sha512-abcd. (12345 bytes)"])
log("zstd-corrupt", C, "research §6 actions/cache#472", "actions/cache@v4",
    ["Received 134217728 of 419430400 (32.0%), 127.9 MBs/sec", "/*stdin*\\ : Decoding error (36) : Corrupted block detected",
     "/usr/bin/tar: Unexpected EOF in archive", "/usr/bin/tar: Error is not recoverable: exiting now",
     "Warning: Tar failed with error: The process '/usr/bin/tar' failed with exit code 2"], exit_code=2)
log("pip-hash-mismatch", C, "research §6 pypi/warehouse#14116", "pip install --require-hashes -r requirements.txt",
    ["ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.",
     "    numpy==1.26.4 from https://files.pythonhosted.org/packages/numpy.whl:", "        Expected sha256 3e3b...", "             Got        9f1a..."])
log("go-zip-invalid", C, "research §8 go module cache", "go build ./...",
    ["go: github.com/gorilla/mux@v1.8.1: read \"https://proxy.golang.org/@v/v1.8.1.zip\": zip: not a valid zip file"])
# ---- infra
log("runner-shutdown", I, "research §6 actions/runner#2427", "make test",
    ["=== RUN   TestIntegration", "##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.",
     "##[error]The operation was canceled."])
log("runner-lost-communication", I, "research §6 actions/runner-images#9823", "npm run build",
    ["##[error]The hosted runner: GitHub Actions 8 lost communication with the server. Anything in your workflow that terminates the runner process, starves it for CPU/Memory, or blocks its network access can cause this error."])
log("self-hosted-lost", I, "research §6 actions/runner#2624", "make e2e",
    ["##[error]The self-hosted runner: build-box-3 lost communication with the server. Verify the machine is running and has a healthy network connection."])
log("runner-deprovision", I, "research §6 actions/runner-images#10401", "make all",
    ["##[error]The hosted runner encountered an error while running your job. (Error Type: Disconnect).", "Received request to deprovision: The request was cancelled by the remote provider."])
# ---- oom
log("node-heap-oom", O, "research §6 broadinstitute/gene-hints#25", "npm run build",
    ["<--- Last few GCs --->", "[2231:0x6b5c6b0]    81234 ms: Mark-Compact 2045.3 (2083.5) -> 2044.1 (2083.7) MB",
     "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory", " 1: 0xb7a940 node::Abort() [node]", "Aborted (core dumped)"], exit_code=134)
log("oom-killed-137", O, "research §6 vmactions/freebsd-vm#81", "cargo test --release",
    ["   Compiling big-crate v0.1.0 (/home/runner/work/big)", "Killed", "Error: Process completed with exit code 137."], exit_code=137)
# ---- deterministic
log("go-sumdb-security", DET, "research §6 taosdata/taosadapter#62", "go mod download",
    ["go: downloading github.com/taosdata/driver-go/v3 v3.5.1", "dial tcp 34.64.4.17:443: i/o timeout (retrying)",
     "verifying github.com/taosdata/driver-go/v3@v3.5.1: checksum mismatch", "\tdownloaded: h1:abc=", "\tgo.sum:     h1:def=", "",
     "SECURITY ERROR", "This download does NOT match an earlier download recorded in go.sum.", "The bits may have been replaced on the origin server, or an attacker may", "have intercepted the download attempt."])
log("typescript-error", DET, "research §6 smart-retry negatives", "npx tsc --noEmit",
    ["src/api/client.ts(42,7): error TS2322: Type 'string' is not assignable to type 'number'.", "src/api/retry.ts(9,3): error TS2304: Cannot find name 'ETIMEDOUT'.", "Found 2 errors in 2 files."], exit_code=2)
log("go-undefined", DET, "research §6 smart-retry negatives", "go build ./...",
    ["# example.com/app/internal/net", "internal/net/dial.go:17:9: undefined: dialTimeout", "internal/net/dial.go:23:2: undefined: ErrConnReset"])
log("java-cannot-find-symbol", DET, "research §6 smart-retry negatives", "mvn -B compile",
    ["[ERROR] COMPILATION ERROR :", "[ERROR] /home/runner/work/app/src/main/java/app/Net.java:[12,8] cannot find symbol",
     "  symbol:   class ConnectionResetException", "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project app: Compilation failure"])
log("ld-undefined-reference", DET, "research §6 smart-retry negatives", "make",
    ["cc -o app main.o net.o", "/usr/bin/ld: net.o: in function `connect_retry':", "net.c:(.text+0x3a): undefined reference to `socket_timeout'",
     "collect2: error: ld returned 1 exit status", "make: *** [Makefile:12: app] Error 1"], exit_code=2)
log("c-compile-error", DET, "research §6 compile errors", "make",
    ["src/http.c:88:12: error: 'CURLE_OPERATION_TIMEDOUT' undeclared (first use in this function)", "make: *** [Makefile:20: src/http.o] Error 1"], exit_code=2)
log("maven-failing-tests", DET, "research §6 smart-retry negatives", "mvn -B test",
    ["[ERROR] Tests run: 42, Failures: 2, Errors: 0, Skipped: 0, Time elapsed: 3.2 s <<< FAILURE! - in app.RetryTest",
     "[ERROR] app.RetryTest.timeoutIsHonoured  Time elapsed: 1.0 s  <<< FAILURE!", "[ERROR] There were failing tests. See the reports in /home/runner/work/app/target/surefire-reports."])
log("jest-failed", DET, "jest summary format", "npx jest",
    ["FAIL src/net.test.ts", "  ● retries on ECONNRESET › gives up after 3 attempts", "    expect(received).toBe(expected)",
     "Test Suites: 1 failed, 4 passed, 5 total", "Tests:       1 failed, 37 passed, 38 total"])
log("pytest-failed", DET, "pytest summary format", "pytest -q",
    ["FAILED tests/test_client.py::test_timeout_raises - AssertionError: expected ReadTimeout", "=========== 1 failed, 88 passed in 12.31s ==========="])
log("go-test-fail", DET, "go test format", "go test ./...",
    ["--- FAIL: TestDialRetries (0.02s)", "    dial_test.go:41: got connection reset by peer, want nil", "FAIL", "FAIL\texample.com/app/net\t0.031s"])
log("rust-compile-error", DET, "rustc format", "cargo build",
    ["error[E0425]: cannot find value `timeout` in this scope", "  --> src/net.rs:12:18", "error: could not compile `app` (bin \"app\") due to 1 previous error"], exit_code=101)
log("checkout-missing-ref", DET, "research §6 actions/checkout#391", "actions/checkout@v4",
    ["/usr/bin/git -c protocol.version=2 fetch --no-tags --prune --no-recurse-submodules --depth=1 origin +refs/heads/feature-x*:refs/remotes/origin/feature-x*",
     "The process '/usr/bin/git' failed with exit code 1", "Waiting 14 seconds before trying again",
     "##[error]A branch or tag with the name 'feature-x' could not be found"])
log("no-runners", DET, "research §6 lowlighter/metrics#731", "(queued)",
    ["##[error]This request was automatically failed because there were no enabled runners online to process the request for more than 1 days."])
log("max-exec-time", DET, "research §6 lowlighter/metrics#731", "make soak",
    ["##[error]The job running on runner GitHub Actions 3 has exceeded the maximum execution time of 360 minutes."])
log("maven-401", DET, "auth failure next to a transfer message", "mvn -B deploy",
    ["[ERROR] Failed to execute goal org.apache.maven.plugins:maven-deploy-plugin:3.1.1:deploy (default-deploy) on project app: Could not transfer artifact app:app:jar:1.0 from/to github (https://maven.pkg.github.com/o/r): status code: 401, reason phrase: Unauthorized (401)",
     "[ERROR] Return code is: 401, ReasonPhrase: 401 Unauthorized."])
log("bash-command-not-found", DET, "bash format", "./scripts/ci.sh",
    ["./scripts/ci.sh: line 4: shellcheck: command not found"], exit_code=127)
log("python-module-not-found", DET, "python format", "python -m app.cli",
    ["Traceback (most recent call last):", "ModuleNotFoundError: No module named 'requests'"])
log("db-conn-refused-local", DET, "research §4 smart-retry: refused only near registries", "npm test",
    ["  1) db › connects", "     Error: connect ECONNREFUSED 127.0.0.1:5432", "      at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1494:16)", "  0 passing (2s)", "  1 failing"])
log("eslint-errors", DET, "eslint format", "npx eslint .",
    ["/home/runner/work/app/src/net.js", "  12:5  error  'timeout' is assigned a value but never used  no-unused-vars", "✖ 1 problem (1 error, 0 warnings)"])
log("shell-syntax-error", DET, "bash format", "bash deploy.sh",
    ["deploy.sh: line 31: syntax error: unexpected end of file"], exit_code=2)
log("npm-e404", DET, "npm format", "npm install @acme/privat",
    ["npm error code E404", "npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fprivat - Not found"])
log("pip-no-dist", DET, "pip format", "pip install tensorflow==9.9",
    ["ERROR: Could not find a version that satisfies the requirement tensorflow==9.9 (from versions: 2.15.0, 2.16.1)", "ERROR: No matching distribution found for tensorflow==9.9"])
log("ssh-publickey", DET, "git over ssh", "git clone git@github.com:o/private.git",
    ["Cloning into 'private'...", "git@github.com: Permission denied (publickey).", "fatal: Could not read from remote repository."], exit_code=128)
# ---- dependency
log("npm-eresolve", DEP, "research §6 npm/cli#2420", "npm install",
    ["npm ERR! code ERESOLVE", "npm ERR! ERESOLVE unable to resolve dependency tree", "npm ERR! While resolving: app@1.0.0",
     "npm ERR! Fix the upstream dependency conflict, or retry", "npm ERR! this command with --force, or --legacy-peer-deps"])
log("npm-ci-lock-sync", DEP, "research §6 npm EUSAGE", "npm ci",
    ["npm error code EUSAGE", "npm error", "npm error `npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing."])
log("pip-resolution-impossible", DEP, "research §6 pypa/pip#8377", "pip install -r requirements.txt",
    ["ERROR: Cannot install requests==2.31.0 and urllib3==2.2.0 because these package versions have conflicting dependencies.",
     "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts"])
# ---- unknown (no signature: must not be retried)
log("plain-exit-1", UNK, "generic script failure", "./scripts/check-version.sh",
    ["version in package.json (1.2.3) does not match tag (1.2.4)"])
log("test-named-timeout", UNK, "test names that look transient", "make check",
    ["ok   test_timeout_handling", "ok   test_connection_reset_is_retried", "not ok 3 - test_output_format", "# failed 1 among 3 tests"])
log("docker-build-cmd-fail", UNK, "docker build format", "docker build .",
    ["#8 [4/6] RUN ./configure --with-ssl", "#8 0.412 configure: error: OpenSSL headers not found", "ERROR: failed to solve: process \"/bin/sh -c ./configure --with-ssl\" did not complete successfully: exit code: 1"])
with open(os.path.join(D, "index.tsv"), "w") as f:
    f.write("# file\texpected class\tsource of the excerpt (strings from research/self-heal.md §4-§6 unless noted)\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print(len(rows))
