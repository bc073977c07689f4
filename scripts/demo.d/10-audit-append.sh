# audit-append: a signed transparency log of CI events, a proof, and a
# tampered entry caught by verify.
banner "audit-append: append events, sign a checkpoint, prove, catch tampering"
audit-append keygen --origin example.org/civic-app/audit --out audit
audit-append append --log audit-log --event build --field result=pass
audit-append append --log audit-log --event deploy --field env=prod
audit-append append --log audit-log --event deploy --field env=staging
audit-append checkpoint --log audit-log --key audit.key
audit-append verify --log audit-log --key "$(cat audit.pub)"
audit-append prove --log audit-log --index 1 > proof.txt
echo "inclusion proof for entry 1 ($(wc -l < proof.txt) lines, C2SP tlog-proof)"
sed -i 's/"env":"prod"/"env":"dev!"/' audit-log/entries*
if audit-append verify --log audit-log --key "$(cat audit.pub)"; then
	echo "demo: a tampered log verified" >&2
	exit 1
fi
echo "(exit 1 above is the point: the rewritten entry is pinpointed)"
