#!/usr/bin/env bash
# check-skips.sh CTEST_OUTPUT BUILD_DIR [EXPECTED]: fail when ctest skipped a test that is not
# expected to skip here. A skip is a test that exited 77 (SKIP_RETURN_CODE) or was disabled:
# ctest lists both under "The following tests did not run:" and counts neither as a failure,
# so losing clang, hwloc, a device feature or a package in CI would otherwise go unseen.
# CTEST_OUTPUT is what ctest printed; EXPECTED (default .ci/expected-skips) holds one
# extended regular expression per line, matched against the whole test name ('#' comments).
# Each skip is printed with the last line its test printed (its reason, from BUILD_DIR's
# Testing/Temporary/LastTest.log).
set -euo pipefail
out=$1
build=$2
expected=${3:-"$(dirname "$0")/expected-skips"}
log=$build/Testing/Temporary/LastTest.log

# "  12 - name (Skipped)" lines after ctest's "did not run" header.
skipped=$(awk '/^The following tests did not run:/ { on = 1; next }
               on && /^[[:space:]]+[0-9]+ - .* \((Skipped|Disabled)\)$/ {
                   sub(/^[[:space:]]+[0-9]+ - /, ""); sub(/ \((Skipped|Disabled)\)$/, "");
                   print; next }
               on { on = 0 }' "$out")

# The last output line of test $1 in LastTest.log (its skip reason).
reason() {
    [ -r "$log" ] || return 0
    awk -v t="$1" '$0 ~ "^[0-9]+/[0-9]+ Test: " && substr($0, index($0, "Test: ") + 6) == t { on = 1; next }
                   on == 1 && /^Output:$/ { on = 2; next }
                   on == 2 && /^<end of output>$/ { print (last == "" ? "(no output)" : last); exit }
                   on == 2 && $0 != "" && $0 !~ /^-+$/ { last = $0 }' "$log"
}

patterns=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$expected" 2>/dev/null || true)
unexpected=0
while IFS= read -r t; do
    [ -n "$t" ] || continue
    ok=no
    while IFS= read -r p; do
        [ -n "$p" ] || continue
        if [[ "$t" =~ ^($p)$ ]]; then
            ok=yes
            break
        fi
    done <<<"$patterns"
    if [ "$ok" = yes ]; then
        echo "skip (expected): $t: $(reason "$t")"
    else
        echo "skip (NOT expected): $t: $(reason "$t")"
        unexpected=$((unexpected + 1))
    fi
done <<<"$skipped"
if [ "$unexpected" -gt 0 ]; then
    echo "check-skips: $unexpected test(s) skipped that must run here (expected: $expected)"
    exit 1
fi
echo "check-skips: no unexpected skips"
