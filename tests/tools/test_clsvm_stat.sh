#!/bin/sh
# test_clsvm_stat.sh: clsvm-stat on real dumps. stat_pattern makes a window with a known pattern
# under CLSVM_STATS and prints what the dump must show; clsvm-stat's summary must print those
# numbers and its SVG must hold exactly those ranges (each <rect> carries data-off/data-len).
# usage: test_clsvm_stat.sh CLSVM_STAT STAT_PATTERN WORK_DIR [SAMPLE]
#   SAMPLE: an OpenCL sample run through the ICD (OCL_ICD_VENDORS set by ctest), for a dump
#   written by libclsvm.so.
set -u
stat=$1 pattern=$2 work=$3 sample=${4:-}
fail() { echo "test_clsvm_stat: FAIL: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
cd "$work" || exit 1

# value NAME: the exact number on summary line NAME (second field).
value() { awk -v k="$1" '$1 == k { print $2; exit }' summary.txt; }
# want LINE-KEY FILE: the expected-values line of stat_pattern's output.
field() { awk -v k="$1" -v n="$2" '$1 == k { print $n; exit }' expect.txt; }

# --- 1. holes: exact map, window still open at exit ---
CLSVM_STATS=$work/holes.json "$pattern" holes > expect.txt || fail "stat_pattern holes failed"
"$stat" --svg holes.svg holes.json > summary.txt || fail "clsvm-stat exited $?"
cat summary.txt
grep -q "^window 0 (open): provider " summary.txt || fail "summary lacks 'window 0 (open)'"
[ "$(value committed)" = "$(field stats 2)" ] || fail "committed $(value committed), want $(field stats 2)"
[ "$(value allocated)" = "$(field stats 3)" ] || fail "allocated $(value allocated), want $(field stats 3)"
[ "$(value retained)" = "$(field stats 5)" ] || fail "retained $(value retained), want $(field stats 5)"
[ "$(field stats 5)" -gt 0 ] || fail "the freed 3 MiB left no retained page next to the 1 MiB block"
grep -q "in $(field stats 4) allocations" summary.txt || fail "summary does not say $(field stats 4) allocations"
[ "$(value reserved)" = "$(field window 3)" ] || fail "reserved $(value reserved), want $(field window 3)"
[ "$(value largest_gap)" = "$(field gap 3)" ] || fail "largest_gap $(value largest_gap), want $(field gap 3)"
grep -q "allocated ranges (exact)" summary.txt || fail "the map of 4 allocations should be exact"
grep -q "^  numa " summary.txt || fail "no numa line"

# SVG: every live allocation, the freed hole, the largest free range, nothing else allocated.
grep -q "^<svg " holes.svg && grep -q "</svg>" holes.svg || fail "holes.svg is not an SVG document"
n=0
while read -r kind o l; do
    [ "$kind" = alloc ] || continue
    n=$((n + 1))
    grep -q "class=\"allocated\" data-row=\"window\" data-off=\"$o\" data-len=\"$l\"" holes.svg ||
        fail "no allocated rect at +$o, $l bytes"
done < expect.txt
[ "$n" -eq 4 ] || fail "stat_pattern printed $n allocations, want 4"
[ "$(grep -c 'class="allocated" data-row="window"' holes.svg)" -eq 4 ] || fail "SVG has another number of allocated ranges than 4"
grep -q "class=\"free\" data-row=\"window\" data-off=\"$(field hole 2)\" data-len=\"$(field hole 3)\"" holes.svg ||
    fail "the freed 3 MiB hole (+$(field hole 2), $(field hole 3) bytes) is not a free range in the SVG"
grep -q "class=\"largest-free\" data-row=\"window\" data-off=\"$(field gap 2)\" data-len=\"$(field gap 3)\"" holes.svg ||
    fail "largest free range not marked at +$(field gap 2)"
grep -q 'class="committed" data-row="window"' holes.svg || fail "no committed run in the SVG"
grep -q 'data-row="zoom"' holes.svg || fail "no zoomed row for a window used at ~1%"
echo "holes: ok"

# --- 2. many: 5000 live allocations with 5000 holes, coarsened to the bound ---
CLSVM_STATS=$work/many.json "$pattern" many 10000 > expect.txt || fail "stat_pattern many failed"
"$stat" --svg many.svg many.json > summary.txt || fail "clsvm-stat exited $? on many.json"
cat summary.txt
[ "$(value allocated)" = "$(field stats 3)" ] || fail "allocated $(value allocated), want $(field stats 3)"
grep -q "in 5000 allocations" summary.txt || fail "summary does not say 5000 allocations"
# 5000 freed 4 KiB blocks between live ones: 20000 KB of freed pages, below the 64 MiB limit.
[ "$(value retained)" = "$(field stats 5)" ] || fail "retained $(value retained), want $(field stats 5)"
[ "$(getconf PAGESIZE)" != 4096 ] || [ "$(field stats 5)" -eq 20480000 ] ||
    fail "retained $(field stats 5), want 20480000 (5000 freed pages)"
grep -q "coarsened: .* 5000 allocations" summary.txt || fail "summary does not say the map is coarsened"
ranges=$(grep -c 'class="allocated" data-row="window"' many.svg)
[ "$ranges" -ge 1 ] && [ "$ranges" -le 1024 ] || fail "$ranges allocated ranges in the SVG, want 1..1024"
[ "$(wc -c < many.json)" -lt 200000 ] || fail "the dump of 5000 allocations is $(wc -c < many.json) bytes"
grep -q "class=\"largest-free\" data-row=\"window\" data-off=\"$(field gap 2)\" data-len=\"$(field gap 3)\"" many.svg ||
    fail "largest free range not marked at +$(field gap 2) after coarsening"
echo "many: ok"

# --- 3. --pid: the dump path from a live process's environment ---
CLSVM_STATS=$work/hold.json "$pattern" hold > hold.txt &
holder=$!
i=0
while ! grep -q closed hold.txt 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$stat" --pid "$holder" > summary.txt
rc=$?
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
[ $rc -eq 0 ] || fail "clsvm-stat --pid exited $rc"
grep -q "^window 0 (closed)" summary.txt || fail "--pid did not read the closed window"
grep -q "peak 12.1 KiB" summary.txt || fail "--pid summary lacks the 12345-byte peak"
echo "pid: ok"

# --- 4. bad input: exit 2 with one line, never a crash ---
bad() {
    printf '%s' "$2" > bad.json
    "$stat" bad.json > /dev/null 2> err.txt
    rc=$?
    [ $rc -eq 2 ] || fail "$1: exit $rc, want 2"
    [ "$(wc -l < err.txt)" -eq 1 ] || fail "$1: want one error line, got: $(cat err.txt)"
}
bad empty ""
bad truncated "$(head -c 300 holes.json)"
bad "not a dump" '{"a":1}'
bad "string window" '{"windows":["x"]}'
bad "range outside" '{"window":{"base":0,"size":4096,"va_bits":40,"commit_chunk":2097152},"stats":{"reserved":4096,"committed":0,"allocated":0,"live_allocations":0,"free_bytes":0,"free_ranges":0,"largest_free":0,"peak_allocated":0,"commits":0,"decommits":0,"failed_allocs":0},"map":{"committed":{"ranges":[[4000,200]]},"allocated":{"ranges":[]}}}'
bad "negative" '{"window":{"base":-1}}'
bad "deep" "$(awk 'BEGIN { for (i = 0; i < 5000; i++) printf "["; }')"
bad garbage "$(printf 'x\001\377{{')"
"$stat" /nonexistent/dump.json 2> err.txt; [ $? -eq 2 ] || fail "missing file: want exit 2"
"$stat" --window 5 holes.json > /dev/null 2>&1; [ $? -eq 1 ] || fail "--window 5 of 1: want exit 1"
"$stat" > /dev/null 2>&1; [ $? -eq 1 ] || fail "no argument: want exit 1 (usage)"
"$stat" - < holes.json > /dev/null || fail "stdin input failed"
# Mutations of a real dump: every truncation point (step 7) and single-byte damage at every
# third of those offsets must give exit 0 (still a valid dump) or 2 (rejected), never a crash
# (>= 128). (Each mutation is a process: damage at every offset took minutes on a busy machine.)
size=$(wc -c < holes.json)
pos=1
while [ "$pos" -lt "$size" ]; do
    head -c "$pos" holes.json > mut.json
    "$stat" --svg mut.svg mut.json > /dev/null 2>&1
    rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 2 ] || fail "truncated at $pos: exit $rc"
    [ $((pos % 21)) -eq 1 ] || { pos=$((pos + 7)); continue; }
    for c in ']' '"' '9' '-' '{' ','; do
        { head -c $((pos - 1)) holes.json; printf '%s' "$c"; tail -c +$((pos + 1)) holes.json; } > mut.json
        "$stat" --svg mut.svg mut.json > /dev/null 2>&1
        rc=$?
        [ $rc -eq 0 ] || [ $rc -eq 2 ] || fail "byte $pos set to '$c': exit $rc"
    done
    pos=$((pos + 7))
done
echo "bad input: ok"

# --- 5. a dump written by the ICD (clsvm_window_stats_json shape inside CLSVM_STATS) ---
if [ -n "$sample" ]; then
    CLSVM_STATS=$work/icd.json "$sample" 1000 > sample.txt 2>&1 || fail "$sample failed: $(cat sample.txt)"
    "$stat" --svg icd.svg icd.json > summary.txt || fail "clsvm-stat on the ICD's dump exited $?"
    cat summary.txt
    grep -q "^window 0 (" summary.txt || fail "no window in the ICD's dump"
    [ "$(value allocated)" = 0 ] || fail "the sample freed everything, but allocated is $(value allocated)"
    grep -q "^<svg " icd.svg || fail "icd.svg is not an SVG"
    echo "icd dump: ok"
fi
echo "test_clsvm_stat: ok"
