#!/usr/bin/env bash
# The report in a real browser: headless Chromium loads the page with no network, and
# every chart must have drawn (the page marks each canvas once it has painted pixels)
# with no console message and no script error.
#   report_browser_test.sh WEFT RESULTS WORK_DIR
set -uo pipefail
weft=$1 results=$2 work=$3
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
  echo "skipped: no chromium (scripts/install-deps --report)"; exit 77
fi
rm -rf "$work" && mkdir -p "$work/profile"
"$weft" report "$results" -o "$work/report.html" || { echo "FAIL: weft report exited $?"; exit 1; }
timeout -k 5 90 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
  --enable-logging=stderr --v=0 --virtual-time-budget=10000 --window-size=1280,900 \
  --dump-dom "file://$work/report.html" > "$work/dom.html" 2> "$work/browser.log"
rc=$?
# Screenshots at a laptop's width and a narrow window, to look at (kept in WORK_DIR).
for width in 1280 800; do
  timeout -k 5 90 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile" \
    --virtual-time-budget=10000 --window-size=$width,3000 \
    --screenshot="$work/report-$width.png" "file://$work/report.html" > /dev/null 2>&1
done
fail=0
complain() { echo "FAIL: $*"; fail=1; }
[[ $rc -eq 0 ]] || complain "chromium exited $rc"
status=$(grep -o '<div id="weft-status"[^>]*>' "$work/dom.html")
expected=$(sed -n 's/.*data-charts-expected="\([0-9]*\)".*/\1/p' <<< "$status")
drawn=$(sed -n 's/.*data-charts-drawn="\([0-9]*\)".*/\1/p' <<< "$status")
canvases=$(grep -o '<canvas [^>]*>' "$work/dom.html" | wc -l)
painted=$(grep -o '<canvas [^>]*data-drawn="true"[^>]*>' "$work/dom.html" | wc -l)
[[ "$status" == *'data-done="true"'* ]] || complain "the page script did not finish: $status"
[[ "$status" != *data-errors* ]] || complain "script errors: $status"
[[ -n "$expected" && "$expected" -gt 0 ]] || complain "no charts expected: $status"
[[ "$drawn" == "$expected" ]] || complain "$drawn of $expected charts drew"
[[ "$painted" == "$canvases" ]] || complain "$painted of $canvases canvases painted"
scroll=$(sed -n 's/.*data-scroll-width="\([0-9]*\)".*/\1/p' <<< "$status")
[[ -n "$scroll" && "$scroll" -le 1280 ]] || complain "the page is $scroll px wide in a 1280 px window"
for width in 1280 800; do
  size=$(stat -c %s "$work/report-$width.png" 2>/dev/null || echo 0)
  [[ "$size" -gt 20000 ]] || complain "no screenshot at $width px ($size bytes)"
done
if grep -q 'CONSOLE' "$work/browser.log"; then
  complain "console messages:"; grep 'CONSOLE' "$work/browser.log" | head -5
fi
if [[ $fail -ne 0 ]]; then tail -n 20 "$work/browser.log"; exit 1; fi
echo "ok: $drawn of $expected charts drew in headless chromium, no console messages"
