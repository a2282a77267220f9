#!/usr/bin/env bash
# A/B in one session: the same operations against two servers that are already running, warmed up
# alike, then measured in alternating runs (A, B, A, B, ...) so that the machine's drift hits both
# the same. Prints every run and, per operation, the median requests/s of each side and B/A
# (W6: sends answered a second).
#
#   A_URL=http://127.0.0.1:8080 A_MANAGEMENT=http://127.0.0.1:8081 \
#   B_URL=http://127.0.0.1:8090 B_MANAGEMENT=http://127.0.0.1:8091 \
#   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench OPS="W1 W2" ROUNDS=3 bench/ab.sh
#
# Both servers must use the same database (bench.sh seeds it on the first run: SEED=auto).
# Besides requests/s it reports each server's CPU time per request, bench.sh's own figure over
# wrk's run alone (its srv_ms column; W6: its CPU a message, over the sending only): a second
# view of the same runs. On
# this shared machine both swing by tens of percent from one run to the next, and two JVMs of one
# jar differ by ~10 %, so a difference of that size needs the servers swapped and a rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${A_URL:?}" "${A_MANAGEMENT:?}" "${B_URL:?}" "${B_MANAGEMENT:?}" "${DATABASE_URL:?}"
OPS=${OPS:-"W1 W2 W3 W4 W5 W6"}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-15}
WARMUP=${WARMUP:-60}
SCALE=${SCALE:-1.0}
export SCALE DATABASE_URL

run() { # side op warmup duration -> the result line of bench.sh (its stderr to AB_LOG, if set)
  local url=$1 management=$2 op=$3 warmup=$4 duration=$5
  { BENCH_URL=$url MANAGEMENT_URL=$management OPS=$op WARMUP=$warmup DURATION=$duration \
      CONNECTIONS=$CONNECTIONS SQL_CEILING=0 FLOOR=0 SEED=${SEED:-auto} RESULTS=${RESULTS:-bench/results} \
      bench/bench.sh 2>>"${AB_LOG:-/dev/null}" || true; } |
    awk -v op="$op" '$1 == op && !seen { print; seen = 1 }
      # a run with errors (a fast error is a cheap answer) or a W6 run that lost, duplicated or
      # misrouted a message has no place in the medians
      $1 == op && op != "W6" && $6 != 0 { print "ab.sh: " op ": " $6 " errors" > "/dev/stderr"; failed = 1 }
      $1 == op && op == "W6" && /(lost|duplicates|misrouted) [1-9]/ { print > "/dev/stderr"; failed = 1 }
      /check FAILED/ { print > "/dev/stderr"; failed = 1 }
      END {
        if (!seen) print "ab.sh: no " op " line from bench.sh (AB_LOG has its log)" > "/dev/stderr"
        if (!seen || failed) exit 1
      }'
  # (awk reads to the end: with head -1, bench.sh's next line after W5's (its check) died of
  # SIGPIPE, and under pipefail that ended the A/B at its first run.) bench.sh exits 1 when a
  # check fails, and a W6 run past what the server answers always has unanswered sends: its line
  # says so, and the A/B goes on. A missing line, errors, a W6 message lost, duplicated or
  # misrouted, or a failed W5 check (stock, half-written orders) ends it.
}

declare -A rps cpu
for op in $OPS; do
  echo "# $op: warming both servers up ($WARMUP s each)"
  run "$A_URL" "$A_MANAGEMENT" "$op" "$WARMUP" 5 >/dev/null
  SEED=never run "$B_URL" "$B_MANAGEMENT" "$op" "$WARMUP" 5 >/dev/null
  for round in $(seq 1 "$ROUNDS"); do
    # A first in odd rounds, B first in even ones: neither side always runs right after warm-up
    order="A B"
    ((round % 2 == 0)) && order="B A"
    for side in $order; do
      url=${side}_URL management=${side}_MANAGEMENT
      line=$(SEED=never run "${!url}" "${!management}" "$op" 0 "$DURATION")
      # bench.sh's own figures, over wrk's run alone: the run around it also signs users in
      # (W6: a thousand, and subscribes them), which would count against the requests
      if [[ $op == W6 ]]; then
        ms=$(sed -n 's/.*server CPU \([0-9.]*\) ms\/message.*/\1/p' <<<"$line")
      else
        ms=$(awk -F'|' '{ split($3, f, " "); print f[1] }' <<<"$line")   # srv_ms
      fi
      cpu[$op,$side]="${cpu[$op,$side]:-} $ms"
      echo "$side r$round $line | server CPU $ms ms/$([[ $op == W6 ]] && echo message || echo request)"
      if [[ $op == W6 ]]; then
        value=$(sed -n 's/.*achieved \([0-9.]*\)\/s.*/\1/p' <<<"$line")
      else
        value=$(awk '{ print $3 }' <<<"$line")
      fi
      rps[$op,$side]="${rps[$op,$side]:-} $value"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "# medians over $ROUNDS rounds: requests/s (W6: sends answered a second), and server CPU ms per request (W6: per message sent)"
for op in $OPS; do
  a=$(median <<<"${rps[$op,A]}")
  b=$(median <<<"${rps[$op,B]}")
  ca=$(median <<<"${cpu[$op,A]}")
  cb=$(median <<<"${cpu[$op,B]}")
  echo "$op rps A $a B $b B/A $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (a > 0 ? b / a : 0) }') | CPU ms/request A $ca B $cb A/B $(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
done
