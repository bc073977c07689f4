# shellcheck shell=bash
# Sourced by the run step of every wrapper (action-wrappers/<tool>/action.yml).
#
# Each input reaches this step as an environment variable (env: INPUT_X:
# ${{ inputs.x }}) and leaves as exactly one argv element of the tool: nothing
# here is evaluated, word-split or globbed, and no ${{ }} is ever pasted into
# a script. Values that start with '-' are safe because options are passed as
# "--name=value" in one word. Written for bash 3.2 too (macOS /bin/bash).

bulwark_args=()
bulwark_secret_files=()

# Workflow-command data escaping (toolkit command.ts): an input echoed in a
# message cannot end the line and start a command of its own.
bulwark_esc() {
	local s=$1
	s=${s//'%'/%25}
	s=${s//$'\r'/%0D}
	s=${s//$'\n'/%0A}
	printf '%s' "$s"
}

bulwark_fail() { # message (already escaped where it quotes an input)
	printf '::error title=%s::%s\n' "${BULWARK_TOOL:-bulwark}" "$1"
	exit 2
}

# subcommand VALUE ALLOWED...: the first positional argument.
subcommand() {
	local v=$1 a
	shift
	for a in "$@"; do
		if [ "$v" = "$a" ]; then
			bulwark_args+=("$v")
			return 0
		fi
	done
	bulwark_fail "input 'command' must be one of: $*; got '$(bulwark_esc "$v")'"
}

# opt --name VALUE: "--name=VALUE" when VALUE is not empty.
opt() {
	[ -z "$2" ] || bulwark_args+=("$1=$2")
}

# opt_lines --name LINES: one "--name=LINE" per non-empty line.
opt_lines() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		[ -z "$line" ] || bulwark_args+=("$1=$line")
	done <<<"$2"
}

# flag --name BOOL: "--name" when BOOL is true (getBooleanInput spellings).
flag() {
	case "$2" in
	true | True | TRUE) bulwark_args+=("$1") ;;
	false | False | FALSE | "") ;;
	*) bulwark_fail "input for '$1' must be true or false; got '$(bulwark_esc "$2")'" ;;
	esac
}

# secret_opt --name VALUE: VALUE (a key from a secret) goes to a 0600 file
# under RUNNER_TEMP, removed when the step ends, and "--name=FILE" is passed.
secret_opt() {
	local f
	[ -n "$2" ] || return 0
	f=$(umask 077 && mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/bulwark-key.XXXXXX")
	printf '%s\n' "$2" >"$f"
	bulwark_secret_files+=("$f")
	bulwark_args+=("$1=$f")
}

# extra_args LINES: one verbatim argument per non-empty line.
extra_args() {
	local line
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		[ -z "$line" ] || bulwark_args+=("$line")
	done <<<"$1"
}

# operands LINES: "--" then one operand (path or glob, expanded by the tool,
# not by the shell) per non-empty line.
operands() {
	bulwark_args+=(--)
	extra_args "$1"
}

# shell_command SCRIPT [ARG...]: "-- bash -c SCRIPT bulwark ARG...": the
# user's command, like a run: step, with ARGs as "$@".
shell_command() {
	local script=$1
	shift
	[ -n "$script" ] || bulwark_fail "input 'run' is required for this command"
	bulwark_args+=(-- bash --noprofile --norc -eo pipefail -c "$script" bulwark "$@")
}

# Runs the resolved binary with the collected arguments; its exit status is
# the step's.
bulwark_exec() {
	local rc=0
	if [ -z "${BULWARK_EXE:-}" ] || [ ! -x "$BULWARK_EXE" ]; then
		bulwark_fail "no executable '${BULWARK_TOOL:-tool}' was resolved"
	fi
	# The tool reads argv only; INPUT_* (tokens, keys) must not leak into
	# the environment of commands it runs.
	unset "${!INPUT_@}"
	if [ "${#bulwark_secret_files[@]}" -eq 0 ]; then
		exec "$BULWARK_EXE" "${bulwark_args[@]}"
	fi
	"$BULWARK_EXE" "${bulwark_args[@]}" || rc=$?
	rm -f "${bulwark_secret_files[@]}"
	exit "$rc"
}
