#!/bin/sh
# plot.sh: draw alloc+free cost against live allocations (clsvm, pocl, malloc; one panel per
# allocation size) from clsvm-bench's --plot-data file. Usage: plot.sh DATA OUT.svg
# Skips with a message (exit 0) when gnuplot is not installed (apt-get install gnuplot-nox).
set -eu
data=$1
out=$2
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "plot.sh: gnuplot not found, $out not written" >&2
    exit 0
fi
gnuplot <<GP
set terminal svg size 1050,380 font "sans,11"
set output "$out"
set multiplot layout 1,3 title "clsvm-bench: alloc+free pair cost vs other live allocations (median; log-log)"
set logscale xy
set xlabel "other live allocations"
set ylabel "ns per alloc+free pair"
set key top left
set grid
set xtics ("0" 1, "10" 10, "100" 100, "1k" 1000, "10k" 10000, "100k" 100000)
do for [i=0:2] {
    set title (i == 0 ? "64 B" : i == 1 ? "4 KiB" : "1 MiB")
    plot "$data" index i using 1:2 with linespoints lw 2 title "clsvm", \
         "" index i using 1:3 with linespoints lw 2 title "pocl", \
         "" index i using 1:4 with linespoints lw 2 title "malloc"
}
unset multiplot
GP
echo "plot.sh: wrote $out"
