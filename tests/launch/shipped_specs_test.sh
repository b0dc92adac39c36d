#!/usr/bin/env bash
# Every spec in jobs/ validates and plans, for `weft job run` and for `weft job submit`.
# A spec whose kernel is not registered yet must say exactly that (and nothing else).
#   shipped_specs_test.sh WEFT JOBS_DIR
set -uo pipefail
weft=$1 jobs=$2
fail=0 n=0
for spec in "$jobs"/*.toml; do
  n=$((n + 1))
  for mode in run submit; do
    out=$("$weft" job "$mode" "$spec" --dry-run --results /tmp/weft-shipped-specs 2>&1)
    rc=$?
    if [[ $rc -eq 2 && "$out" == *"unknown kernel"* ]]; then
      echo "ok: $spec needs a kernel this build lacks: $(echo "$out" | tail -1)"
    elif [[ $rc -ne 0 ]]; then
      echo "FAIL: weft job $mode $spec --dry-run exited $rc:"; echo "$out"; fail=1
    fi
  done
done
[[ $n -gt 0 ]] || { echo "FAIL: no specs in $jobs"; exit 1; }
[[ $fail -eq 0 ]] && echo "ok: $n specs"
exit $fail
