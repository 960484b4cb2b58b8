#!/bin/sh
# run.sh: the documented benchmark run — clsvm-bench from a Release build; the table and the
# JSON go to BUILD_DIR/bench/, the alloc+free plot to docs/ (docs/performance.md shows it).
# Usage: bench/run.sh BUILD_DIR [PLOT_DIR]   (PLOT_DIR defaults to the repository's docs/)
# BENCH_ARGS (e.g. "--reps 15") is passed to clsvm-bench.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$1
plotdir=${2:-$here/../docs}
out=$build/bench
"$out/clsvm-bench" ${BENCH_ARGS:-} --json "$out/performance.json" --plot-data "$out/performance-plot.dat" |
    tee "$out/performance.txt"
"$here/plot.sh" "$out/performance-plot.dat" "$plotdir/performance-alloc-free.svg"
