#!/usr/bin/env bash
# Finds a Bulwark binary for the wrappers, in this order:
#   1. $BULWARK_BIN_DIR, if set (a local build, a container image, a test);
#   2. the release asset for this runner.os/runner.arch, sha256-pinned in
#      ../checksums.txt, verified before use and kept in the tool cache as
#      $RUNNER_TOOL_CACHE/bulwark/<version>/<arch> + <arch>.complete;
#   3. a build from this checkout's sources with the project's CMake.
# Linux x64/arm64 get release assets; macOS and other Linux CPUs build from
# source; Windows is refused.
#
# Environment (all optional): BULWARK_TOOL (the binary the caller needs; all
# five when empty), INPUT_VERSION (release to use; default: pinned),
# INPUT_FROM_SOURCE (auto|always|never), INPUT_INSTALL_DEPS (true|false),
# BULWARK_EXPORT (true: also export BULWARK_BIN_DIR and PATH for later steps).
# Outputs: bin-dir, path (when BULWARK_TOOL is set), source, version.
# Exit: 0 found; 1 a pinned checksum did not match; 2 unsupported platform or
# bad configuration; 125 download/build failure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wrappers=$(dirname "$here")
tools="audit-append sign-artifact perf-shard chaos-inject self-heal"

# Workflow command to stdout inside Actions, plain text on stderr elsewhere.
say() { # level message
	local m=$2
	if [ "${GITHUB_ACTIONS:-}" = true ]; then
		# Data escaping (toolkit command.ts): a value quoted in the message
		# cannot end the line and start a workflow command of its own.
		m=${m//'%'/%25}
		m=${m//$'\r'/%0D}
		m=${m//$'\n'/%0A}
		printf '::%s title=bulwark setup::%s\n' "$1" "$m"
	else
		printf 'bulwark setup: %s: %s\n' "$1" "$2" >&2
	fi
}
die() { # status message
	say error "$2"
	exit "$1"
}

rand_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# Heredoc form with a random delimiter, as @actions/core writes it.
file_command() { # file name value
	local d
	d="ghadelimiter_$(rand_hex)"
	case "$3" in *"$d"*) die 125 "value of '$2' contains the delimiter" ;; esac
	printf '%s<<%s\n%s\n%s\n' "$2" "$d" "$3" "$d" >>"$1"
}
set_output() {
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		file_command "$GITHUB_OUTPUT" "$1" "$2"
	else
		printf '%s=%s\n' "$1" "$2"
	fi
}

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	else # macOS has no sha256sum (actions/runner-images#90)
		shasum -a 256 "$1" | cut -d' ' -f1
	fi
}

# "# key: value" header lines of checksums.txt.
pinned() { sed -n "s/^# $1: *//p" "$wrappers/checksums.txt" | head -n 1; }

has_tools() { # dir
	local t
	for t in ${BULWARK_TOOL:-$tools}; do
		[ -x "$1/$t" ] || return 1
	done
}

platform() {
	os=${RUNNER_OS:-}
	if [ -z "$os" ]; then
		case "$(uname -s)" in
		Linux) os=Linux ;;
		Darwin) os=macOS ;;
		MINGW* | MSYS* | CYGWIN*) os=Windows ;;
		*) os=$(uname -s) ;;
		esac
	fi
	arch=${RUNNER_ARCH:-}
	case "$arch" in
	X64) arch=x64 ;;
	ARM64) arch=arm64 ;;
	X86) arch=x86 ;;
	ARM) arch=arm ;;
	"")
		case "$(uname -m)" in
		x86_64 | amd64) arch=x64 ;;
		aarch64 | arm64) arch=arm64 ;;
		*) arch=$(uname -m) ;;
		esac
		;;
	*) die 2 "unknown runner architecture '$arch'" ;;
	esac
}

# Step 2. Returns 1 (not fatal) when there is no usable release asset.
from_release() {
	local asset sha url cache_root dir tmp got
	[ "$os" = Linux ] || return 1
	case "$arch" in x64 | arm64) ;; *) return 1 ;; esac
	asset="bulwark-$version-linux-$arch.tar.gz"
	cache_root=${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulwark-toolcache}
	dir="$cache_root/bulwark/$version/$arch"
	if [ -f "$dir.complete" ] && has_tools "$dir"; then
		bin_dir=$dir
		src=cache
		return 0
	fi
	sha=$(awk -v a="$asset" '$1 !~ /^#/ && ($2 == a || $2 == "*" a) { print $1; exit }' \
		"$wrappers/checksums.txt")
	if [ -z "$sha" ]; then
		say notice "no pinned checksum for '$asset' in checksums.txt; building from source"
		return 1
	fi
	url="${BULWARK_RELEASE_URL:-$(pinned url)}"
	[ "$version" = "$(pinned version)" ] || url="${url%/v*}/v$version"
	tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/bulwark-dl.XXXXXX")
	if ! curl --retry 3 -fsSL --proto '=https,http' -o "$tmp/$asset" "$url/$asset"; then
		rm -rf "$tmp"
		say warning "cannot download '$url/$asset'; building from source"
		return 1
	fi
	got=$(sha256_of "$tmp/$asset")
	if [ "$got" != "$sha" ]; then
		rm -rf "$tmp"
		die 1 "checksum mismatch for '$asset': pinned $sha, downloaded $got; refusing to use it"
	fi
	mkdir -p "$tmp/x"
	tar -xzf "$tmp/$asset" -C "$tmp/x" || die 125 "cannot extract '$asset'"
	has_tools "$tmp/x" || die 125 "'$asset' lacks the expected binaries"
	# Another job of a self-hosted runner may have won the race.
	if [ -f "$dir.complete" ] && has_tools "$dir"; then
		rm -rf "$tmp"
		bin_dir=$dir
		src=cache
		return 0
	fi
	# Publish atomically: the marker appears only after the directory is whole.
	{ mkdir -p "$(dirname "$dir")" && rm -rf "$dir" "$dir.complete" &&
		mv "$tmp/x" "$dir" && : >"$dir.complete"; } ||
		die 125 "cannot install into the tool cache '$dir'"
	rm -rf "$tmp"
	bin_dir=$dir
	src=release
}

install_deps() {
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo -n"
	if [ "$os" = macOS ] && command -v brew >/dev/null 2>&1; then
		brew install cmake pkg-config openssl@3 libyaml cjson expat curl zlib >&2
		local p
		for p in openssl@3 expat curl zlib libyaml cjson; do
			PKG_CONFIG_PATH="$(brew --prefix "$p")/lib/pkgconfig:${PKG_CONFIG_PATH:-}"
		done
		export PKG_CONFIG_PATH
	elif command -v apt-get >/dev/null 2>&1; then
		$sudo apt-get update -qq >&2
		$sudo apt-get install -y -qq --no-install-recommends cmake make gcc \
			pkg-config libssl-dev libyaml-dev zlib1g-dev libexpat1-dev \
			libcjson-dev libcurl4-openssl-dev >&2
	elif command -v apk >/dev/null 2>&1; then
		$sudo apk add --no-cache cmake make gcc musl-dev pkgconf openssl-dev \
			yaml-dev zlib-dev expat-dev cjson-dev curl-dev >&2
	else
		return 1
	fi
}

# Step 3.
from_source() {
	local root build jobs mods="libcrypto yaml-0.1 zlib expat libcjson libcurl"
	root=$(dirname "$wrappers")
	[ -f "$root/CMakeLists.txt" ] || die 125 "no sources at '$root' to build from"
	# shellcheck disable=SC2086 # word splitting of the module list is intended
	if ! command -v cmake >/dev/null 2>&1 || ! pkg-config --exists $mods 2>/dev/null; then
		if [ "${INPUT_INSTALL_DEPS:-true}" = true ]; then
			install_deps || die 125 "cannot install build dependencies (cmake, pkg-config, $mods)"
		else
			die 125 "build dependencies missing (cmake, pkg-config, $mods) and install-deps is false"
		fi
	fi
	build="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/bulwark-build-$version"
	jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
	[ "${GITHUB_ACTIONS:-}" != true ] || echo "::group::bulwark: build from source"
	if ! { cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
		-DBUILD_TESTING=OFF >&2 && cmake --build "$build" -j "$jobs" >&2; }; then
		[ "${GITHUB_ACTIONS:-}" != true ] || echo "::endgroup::"
		die 125 "build from source failed (see the log above)"
	fi
	[ "${GITHUB_ACTIONS:-}" != true ] || echo "::endgroup::"
	has_tools "$build/bin" || die 125 "the build produced no '${BULWARK_TOOL:-all five tools}' in '$build/bin'"
	bin_dir="$build/bin"
	src=source
}

main() {
	local mode=${INPUT_FROM_SOURCE:-auto}
	case "$mode" in auto | always | never) ;; *) die 2 "from-source must be auto, always or never, not '$mode'" ;; esac
	if [ -n "${BULWARK_TOOL:-}" ]; then
		case " $tools " in *" $BULWARK_TOOL "*) ;; *) die 2 "unknown tool '$BULWARK_TOOL'" ;; esac
	fi
	platform
	if [ "$os" = Windows ]; then
		die 2 "Windows runners are not supported: Bulwark's tools need POSIX process groups, fork and LD_PRELOAD; use a Linux runner (ubuntu-latest or ubuntu-24.04-arm) or macOS"
	fi
	version=${INPUT_VERSION:-}
	[ -n "$version" ] || version=$(pinned version)
	case "$version" in
	v[0-9]*) version=${version#v} ;;
	[0-9]*) ;;
	*) die 2 "version must look like 1.2.3, not '$version'" ;;
	esac
	case "$version" in *[!0-9A-Za-z.+-]*) die 2 "version must look like 1.2.3, not '$version'" ;; esac

	bin_dir="" src=""
	if [ -n "${BULWARK_BIN_DIR:-}" ]; then
		has_tools "$BULWARK_BIN_DIR" ||
			die 2 "BULWARK_BIN_DIR '$BULWARK_BIN_DIR' has no executable '${BULWARK_TOOL:-$tools}'"
		bin_dir=$(cd "$BULWARK_BIN_DIR" && pwd)
		src="env"
	elif [ "$mode" != always ] && from_release; then
		:
	elif [ "$mode" = never ]; then
		die 125 "no verified release asset for $os/$arch and from-source is 'never'"
	else
		from_source
	fi

	set_output bin-dir "$bin_dir"
	set_output source "$src"
	set_output version "$version"
	[ -z "${BULWARK_TOOL:-}" ] || set_output path "$bin_dir/$BULWARK_TOOL"
	if [ "${BULWARK_EXPORT:-false}" = true ]; then
		[ -z "${GITHUB_ENV:-}" ] || file_command "$GITHUB_ENV" BULWARK_BIN_DIR "$bin_dir"
		[ -z "${GITHUB_PATH:-}" ] || printf '%s\n' "$bin_dir" >>"$GITHUB_PATH"
	fi
	if [ "${GITHUB_ACTIONS:-}" = true ]; then
		echo "bulwark $version for $os/$arch from $src: $bin_dir"
	fi
}

main "$@"
