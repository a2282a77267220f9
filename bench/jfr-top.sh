#!/usr/bin/env bash
# Where the server's CPU time went in a JFR recording (bench.sh PROFILE=async or PROFILE=1): the methods most often
# on top of the stack in the execution samples (self time), and the same grouped by library.
#
#   bench/jfr-top.sh bench/results/20261129T020000Z-W1-c16.jfr [how-many]
#
# Only a JDK is needed (its `jfr` tool). For the full picture open the file in JDK Mission Control.
set -euo pipefail
file=${1:?usage: bench/jfr-top.sh RECORDING.jfr [how-many]}
top=${2:-20}
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT

# the first frame after "stackTrace = [" is the one executing; drop line numbers and bytecode index
jfr print --events jdk.ExecutionSample "$file" |
  awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/[ \t]+line:.*/, ""); print }' >"$samples"

total=$(wc -l <"$samples")
echo "$total execution samples in $file"
echo
echo "Top $top methods (self time):"
# awk, not head, takes the first lines: head's early exit fails the pipeline under pipefail
sort "$samples" | uniq -c | sort -rn | awk -v n="$top" 'NR <= n' |
  awk -v t="$total" '{ n = $1; $1 = ""; printf "%6.1f%%  %s\n", 100 * n / t, substr($0, 2) }'
echo
echo "By library (package of the executing method, first three parts):"
sed -E 's/^([a-zA-Z0-9_$]+(\.[a-zA-Z0-9_$]+){0,2}).*/\1/' "$samples" | sort | uniq -c | sort -rn | awk 'NR <= 15' |
  awk -v t="$total" '{ printf "%6.1f%%  %s\n", 100 * $1 / t, $2 }'
