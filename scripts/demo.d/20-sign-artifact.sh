# sign-artifact: keyed signing, SHA256SUMS, SLSA provenance, offline verify.
banner "sign-artifact: sign two artifacts, attest provenance, verify"
mkdir -p dist
echo "civic-app 1.0" > dist/app.tar.gz
head -c 100000 /dev/urandom > dist/app.bin
sign-artifact keygen --out release
sign-artifact sign --key release.key 'dist/*'
sha256sum -c SHA256SUMS
GITHUB_REPOSITORY_ID=1 GITHUB_REPOSITORY_OWNER_ID=2 RUNNER_ENVIRONMENT=github-hosted \
	sign-artifact attest --key release.key --provenance 'dist/*'
sign-artifact verify --key release.pub --bundle attestation.sigstore.json dist/app.tar.gz
echo "tampered" >> dist/app.tar.gz
if sign-artifact verify --key release.pub --bundle dist/app.tar.gz.sigstore.json dist/app.tar.gz; then
	echo "demo: a tampered artifact verified" >&2
	exit 1
fi
echo "(exit 1 above is the point: the tampered artifact is rejected)"
