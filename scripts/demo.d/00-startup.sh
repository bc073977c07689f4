# Every tool answers --version (the cheapest thing a CI step pays for).
banner "the five tools"
for t in audit-append sign-artifact perf-shard chaos-inject self-heal; do
	if [ -x "$BULWARK_BIN/$t" ]; then
		"$BULWARK_BIN/$t" --version
	else
		echo "$t: not built"
	fi
done
