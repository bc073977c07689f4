# chaos-inject: corrupt an artifact for one command only, then roll back.
banner "chaos-inject: artifact corruption caught by sha256sum, then rolled back"
echo "release payload" > artifact.txt
sha256sum artifact.txt > SUMS
set +e
chaos-inject run --scenario artifact-corruption --file "$PWD/artifact.txt" --seed 7 -- sha256sum -c SUMS
rc=$?
set -e
echo "sha256sum under chaos exited $rc (non-zero: the corruption was detected)"
sha256sum -c SUMS
echo "after the run the artifact is intact again"
