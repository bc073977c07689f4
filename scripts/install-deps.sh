#!/usr/bin/env bash
# Installs what Bulwark needs to build, test and demo on Debian 12.
# Idempotent: installs only what is missing; apt only (plus the pinned npm
# test packages from tests/package-lock.json, via `npm ci`, when asked).
#
# Versions: Debian 12 (bookworm) fixes each package's upstream version for
# the life of the release; only Debian security/point revisions move, and the
# archive keeps no superseded revisions, so pinning the Debian revision
# would break installs the day a security update lands. We therefore pin the
# upstream version with apt's `pkg=VERSION*` form. The npm packages are
# pinned exactly by tests/package-lock.json.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# package=upstream-version-prefix
pkgs=(
	build-essential=12.9*
	cmake=3.25.1*
	pkg-config=1.8.1*
	git=1:2.39.5*
	python3=3.11.2*
	clang=1:14.0*
	libclang-rt-14-dev=1:14.0.6*
	libcurl4-openssl-dev=7.88.1*
	libcjson-dev=1.7.15*
	libyaml-dev=0.2.5*
	zlib1g-dev=1:1.2.13*
	libssl-dev=3.0.*
	libexpat1-dev=2.5.0*
	libcmocka-dev=1.1.5*
	golang-go=2:1.19*
	golang-golang-x-mod-dev=0.7.0*
	strace=6.1*
	mandoc=1.14.6*
	iproute2=6.1.0*
	procps=2:4.0.2*
	xxd=2:9.0*
	shellcheck=0.9.0*
	fiu-utils=1.1*
	python3-yaml=6.0*
	hyperfine=1.15*
)

missing=()
for p in "${pkgs[@]}"; do
	name=${p%%=*}
	if ! dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done
# Node.js: use the machine's if it has one (>= 20); Debian's otherwise.
if ! command -v node >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	sudo_=""
	[ "$(id -u)" -eq 0 ] || sudo_=sudo
	$sudo_ apt-get update -qq
	$sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
	echo "install-deps: all Debian packages present"
fi

if [ "${1:-}" = "--npm" ]; then
	if [ ! -d "$here/tests/node_modules/sigstore" ] ||
	    [ "$here/tests/package-lock.json" -nt "$here/tests/node_modules/.package-lock.json" ]; then
		echo "install-deps: npm ci (tests/package-lock.json)"
		# A damaged ~/.npm cache (seen once: a rename in _cacache
		# failing with ENOENT) fails npm ci; one more try with a
		# fresh cache of its own before giving up.
		if ! (cd "$here/tests" && npm ci --no-audit --no-fund --loglevel=error); then
			cache=$(mktemp -d)
			echo "install-deps: npm ci failed; once more with a fresh cache ($cache)"
			(cd "$here/tests" && npm ci --no-audit --no-fund --loglevel=error --cache "$cache")
			rm -rf "$cache"
		fi
	fi
fi
