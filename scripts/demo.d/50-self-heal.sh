# self-heal: a transient failure is retried and passes; a compile error is
# not retried; a log is classified with its evidence line.
banner "self-heal: retry what a retry can fix, and nothing else"
self-heal run --wait 100ms -- sh -c '[ "$SELF_HEAL_ATTEMPT" = 2 ] || { echo "npm error code ECONNRESET"; exit 1; }; echo "attempt $SELF_HEAL_ATTEMPT: installed"'
set +e
self-heal run -- sh -c 'echo "src/app.c:1:2: error: expected ; before }"; exit 2'
rc=$?
set -e
echo "(exit $rc above: a deterministic failure stops at once, with the child's status)"
self-heal classify "$BULWARK_SRC/tests/actions/self-heal/logs/go-sumdb-security.log" || true
