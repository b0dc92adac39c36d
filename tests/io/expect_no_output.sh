#!/usr/bin/env bash
# expect_no_output.sh OUTPUT expect.sh-arguments...
# Runs tests/cli/expect.sh, then fails if OUTPUT or a temporary of it (.OUTPUT.tmp.*) exists.
set -u
out=$1
shift
"$@"
rc=$?
dir=$(dirname "$out")
name=$(basename "$out")
if [[ -e "$out" ]] || compgen -G "$dir/.$name.tmp.*" >/dev/null; then
  echo "FAIL: output '$out' or its temporary was left behind"
  ls -la "$dir"
  exit 1
fi
exit $rc
