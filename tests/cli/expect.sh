#!/usr/bin/env bash
# Runs a command and checks how it ended: the exit code, what it printed, and how long
# it took. Used by the end-to-end tests of the weft command (tests/cli/CMakeLists.txt).
#
#   expect.sh [--rc N | --nonzero] [--stderr TEXT]... [--stdout TEXT]... [--only-line]
#             [--max-seconds S] [--json FILE] [--stdout-json] [--stdout-line REGEX]...
#             -- command args...
#
# --stdout-line REGEX: some line of stdout matches the extended regular expression.
# --only-line: stderr must be exactly one line (the one clear error line).
# --json FILE: FILE must exist afterwards and parse as JSON.
# --stdout-json: stdout, all of it, must parse as JSON.
# Output with HDF5's own error stack (HDF5-DIAG) or a sanitizer report always fails,
# unless --allow-crash-report (for tests that crash a rank on purpose).
set -u
rc_want=0 nonzero=0 only_line=0 max_s=60 json_file="" allow_crash=0 stdout_json=0
stderr_want=() stdout_want=() stdout_line=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
  case "$1" in
    --rc) rc_want=$2; shift 2 ;;
    --nonzero) nonzero=1; shift ;;
    --stderr) stderr_want+=("$2"); shift 2 ;;
    --stdout) stdout_want+=("$2"); shift 2 ;;
    --stdout-line) stdout_line+=("$2"); shift 2 ;;
    --only-line) only_line=1; shift ;;
    --max-seconds) max_s=$2; shift 2 ;;
    --json) json_file=$2; shift 2 ;;
    --stdout-json) stdout_json=1; shift ;;
    --allow-crash-report) allow_crash=1; shift ;;
    *) echo "expect.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
[[ -n "$json_file" ]] && rm -f "$json_file"
start=$(date +%s.%N)
# WEFT_TEST_TIME_SCALE (sanitizer builds, cmake/weft_testing.cmake) stretches the limit.
max_s=$(( max_s * ${WEFT_TEST_TIME_SCALE:-1} ))
timeout -k 5 "$((max_s + 30))" "$@" >"$out" 2>"$err" </dev/null
rc=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
fail=0
complain() { echo "FAIL: $*"; fail=1; }
if [[ $nonzero -eq 1 ]]; then
  [[ $rc -ne 0 ]] || complain "exit code 0, expected non-zero"
else
  [[ $rc -eq $rc_want ]] || complain "exit code $rc, expected $rc_want"
fi
(( $(echo "$elapsed > $max_s" | bc) )) && complain "took ${elapsed}s, limit ${max_s}s"
for t in "${stderr_want[@]+"${stderr_want[@]}"}"; do
  grep -qF -- "$t" "$err" || complain "stderr lacks: $t"
done
for t in "${stdout_want[@]+"${stdout_want[@]}"}"; do
  grep -qF -- "$t" "$out" || complain "stdout lacks: $t"
done
for t in "${stdout_line[@]+"${stdout_line[@]}"}"; do
  grep -qE -- "$t" "$out" || complain "no stdout line matches: $t"
done
grep -q "HDF5-DIAG" "$out" "$err" && complain "HDF5 printed its error stack"
if [[ $allow_crash -eq 0 ]]; then
  grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$out" "$err" && complain "sanitizer report"
fi
if [[ $only_line -eq 1 ]]; then
  n=$(grep -c '' "$err")
  [[ $n -eq 1 ]] || complain "stderr has $n lines, expected exactly one"
fi
if [[ $stdout_json -eq 1 ]]; then
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2>/dev/null ||
    complain "stdout is not one JSON document"
fi
if [[ -n "$json_file" ]]; then
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$json_file" 2>/dev/null ||
    complain "$json_file missing or not JSON"
fi
if [[ $fail -ne 0 ]]; then
  echo "command: $*"
  echo "--- stdout"; head -c 4000 "$out"
  echo "--- stderr"; head -c 4000 "$err"
  exit 1
fi
echo "ok: rc=$rc in ${elapsed}s: $*"
