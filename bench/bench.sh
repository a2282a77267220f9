#!/usr/bin/env bash
# The reference benchmark (bench/WORKLOAD.md): seeds the data set, finds or starts the
# server, warms it up, drives W1..W5 with wrk at each connection count and W6 with
# bench/W6.java's subscribers receiving what wrk (bench/wrk/open-loop.lua) sends,
# measures the raw-SQL ceiling of W1..W5 with pgbench at the same client counts, and checks the
# database after W5 (the ceiling's orders included: they are held to the same check).
# The README (section Benchmark) explains the settings and the columns.
#
#   bench/bench.sh                                   # full size, 16/64/256 connections, 30 s each
#   SCALE=0.1 CONNECTIONS="16 64" DURATION=10 bench/bench.sh
#   OPS="W1" PROFILE=async bench/bench.sh            # and a CPU profile of the server (async-profiler)
#   OPS="W1" PROFILE=1 bench/bench.sh                # and a JFR recording of the server (slows it ~4x)
#
# Needs: a JDK (the server), curl, and from Debian: wrk, postgresql-client (psql, pgbench).
# Without psql the seed runs through bench/Seed.java (JDK only); pgbench is skipped when absent.
set -euo pipefail
cd "$(dirname "$0")/.."

SCALE=${SCALE:-1.0}
CONNECTIONS=${CONNECTIONS:-"16 64 256"}
DURATION=${DURATION:-30}          # seconds per measured run
WARMUP=${WARMUP:-60}              # seconds of warm-up per operation (the JIT needs about a minute)
WARMUP_RUN=${WARMUP_RUN:-30}      # the warm-up's runs (new connections each), at CONNECTIONS in turn
SETTLE=${SETTLE:-5}               # seconds unmeasured at each run's connection count right before it
                                  # (as ../shared/peers/run.sh gives each peer)
OPS=${OPS:-"W1 W2 W3 W4 W5 W6"}
W6_SUBSCRIPTIONS=${W6_SUBSCRIPTIONS:-1000}  # W6: open subscriptions, two per conversation
W6_RATE=${W6_RATE:-100}           # W6: messages sent per second, over all its conversations
W6_CONNECTIONS=${W6_CONNECTIONS:-auto}  # W6: wrk's connections for the sends (a thread each); auto:
                                  # twice rate x the 100 ms target p99, at least 16, at most 256
THREADS=${THREADS:-2}             # wrk and pgbench threads (the machine's cores; the peers' harness: 1)
W3_USERS=${W3_USERS:-1000}        # W3: the signed-in users it draws from (their conversations)
SEED=${SEED:-auto}                # auto: only when the database holds another scale; always; never
SQL_CEILING=${SQL_CEILING:-1}     # 0 skips pgbench
PROFILE=${PROFILE:-0}             # async: async-profiler, 1: JFR, for every measured run (a .jfr file each)
ASYNC_PROFILER=${ASYNC_PROFILER:-4.2}  # the tools.profiler:async-profiler version from Maven Central
FLOOR=${FLOOR:-1}                 # 1: after W1, graphql-java's own cost of W1 (bench/GraphQlFloor.java)
OPEN_LOOP=${OPEN_LOOP:-0}         # W1-W4: also an open-loop run at this fraction of the first
                                  # connection count's requests/s (0.7: 70 %), bench/wrk/open-loop.lua
OPEN_LOOP_CONNECTIONS=${OPEN_LOOP_CONNECTIONS:-auto}  # its connections (a wrk thread each); auto: twice
                                  # rate x the first count's p99, at least 16, at most 128
OPEN_LOOP_GRACE=${OPEN_LOOP_GRACE:-10}  # seconds the last answers may take after its schedule ends
BENCH_URL=${BENCH_URL:-http://127.0.0.1:8080}
# metrics and health: the same port for a development server, MANAGEMENT_PORT (BENCH_URL's + 1
# when started here) for the production jar
MANAGEMENT_URL=${MANAGEMENT_URL:-}
# The server started here runs the production configuration with budgets: the cost of every
# request is computed and charged, but wrk drives everything from one address and signs in a
# thousand users, so the buckets are made large enough never to refuse. SERVER_ARGS adds more
# (for example --dedw3n.graphql.limits.enabled=false to measure what the limits cost).
BENCH_BUDGETS=${BENCH_BUDGETS:-"--dedw3n.budgets.anonymous-cost.capacity=1000000000 --dedw3n.budgets.anonymous-cost.refill=1000000000 --dedw3n.budgets.user-cost.capacity=1000000000 --dedw3n.budgets.user-cost.refill=1000000000 --dedw3n.budgets.sign-in-per-address.capacity=1000000 --dedw3n.budgets.sign-in-per-address.refill=1000000 --dedw3n.budgets.sign-up-per-address.capacity=1000000 --dedw3n.budgets.sign-up-per-address.refill=1000000 --dedw3n.budgets.messages.capacity=1000000 --dedw3n.budgets.messages.refill=1000000"}
SERVER_ARGS=${SERVER_ARGS:-}
# the production sizing of the README (section Environment variables): peak RSS under 512 MiB
SERVER_JAVA_OPTS=${SERVER_JAVA_OPTS:-"-Xmx224m -XX:+UseG1GC -XX:SurvivorRatio=3 -XX:MarkStackSize=262144 -XX:TrimNativeHeapInterval=5000 -Xss512k -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=64m"}
RESULTS=${RESULTS:-bench/results}
PASSWORD=bench-password           # every seeded user's (bench/seed.sql)

mkdir -p "$RESULTS"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$RESULTS/$STAMP.txt"
WORK=$(mktemp -d)
SERVER_PID=${SERVER_PID:-}
STARTED_PID=
W6_PID=
PROBES_PID=
trap cleanup EXIT

cleanup() {
  # W6's subscribers wait for a file that a failed run never writes
  if [[ -n "$W6_PID" ]] && kill -0 "$W6_PID" 2>/dev/null; then kill "$W6_PID" || true; fi
  if [[ -n "$PROBES_PID" ]] && kill -0 "$PROBES_PID" 2>/dev/null; then kill "$PROBES_PID" || true; fi
  if [[ -n "$STARTED_PID" ]] && kill -0 "$STARTED_PID" 2>/dev/null; then
    log "stopping the server we started (pid $STARTED_PID)"
    kill "$STARTED_PID"
    wait "$STARTED_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
out() { printf '%s\n' "$*" | tee -a "$OUT"; }

# a warm-up run of 0 s would never use up the warm-up (warm_up's loop), a negative settle is a typo
[[ "$WARMUP_RUN" =~ ^[0-9]+$ ]] && ((WARMUP_RUN > 0)) || die "WARMUP_RUN must be a whole number of seconds, at least 1 (it is '$WARMUP_RUN')"
[[ "$SETTLE" =~ ^[0-9]+$ ]] || die "SETTLE must be a whole number of seconds, 0 for none (it is '$SETTLE')"

# ---------------------------------------------------------------------------------------------
# The database: DATABASE_URL, else the embedded PostgreSQL of ./data/postgres (its port is in
# postmaster.pid), the one `./mvnw spring-boot:run` and the jar started from here use.
database_url() {
  if [[ -n "${DATABASE_URL:-}" ]]; then
    echo "$DATABASE_URL"
  elif [[ -f data/postgres/postmaster.pid ]]; then
    echo "postgresql://postgres@localhost:$(sed -n 4p data/postgres/postmaster.pid)/postgres"
  else
    return 1
  fi
}

# postgresql://user:password@host:port/db?params -> jdbc:postgresql://host:port/db?user=..&password=..
jdbc_url() {
  local re='^postgres(ql)?://(([^:@/]*)(:([^@/]*))?@)?([^/?]+)(/([^?]*))?(\?(.*))?$'
  [[ "$1" =~ $re ]] || die "cannot read the database URL $1"
  local user=${BASH_REMATCH[3]} password=${BASH_REMATCH[5]} host=${BASH_REMATCH[6]}
  local db=${BASH_REMATCH[8]:-postgres} params=${BASH_REMATCH[10]}
  local url="jdbc:postgresql://$host/$db?"
  [[ -n "$user" ]] && url+="user=$user&"
  [[ -n "$password" ]] && url+="password=$password&"
  echo "${url}${params}"
}

sql() { psql -qAtX -v ON_ERROR_STOP=1 "$DB" -c "$1"; }

# async-profiler's native library for this machine, unpacked from its Maven Central jar (JDK only)
async_profiler() {
  local dir=target/async-profiler-$ASYNC_PROFILER
  local arch=linux-x64
  [[ "$(uname -m)" == aarch64 ]] && arch=linux-arm64
  if [[ ! -f "$dir/$arch/libasyncProfiler.so" ]]; then
    ./mvnw -q -B dependency:copy -Dartifact="tools.profiler:async-profiler:$ASYNC_PROFILER" \
      -DoutputDirectory="$dir" >&2 || die "cannot fetch tools.profiler:async-profiler:$ASYNC_PROFILER"
    (cd "$dir" && jar xf "async-profiler-$ASYNC_PROFILER.jar" "$arch/libasyncProfiler.so")
  fi
  [[ -f "$dir/$arch/libasyncProfiler.so" ]] || die "no $arch/libasyncProfiler.so in async-profiler $ASYNC_PROFILER"
  realpath "$dir/$arch/libasyncProfiler.so"
}

# ---------------------------------------------------------------------------------------------
# The server: the one answering at BENCH_URL, else the jar started here (and stopped at the end).
server_pid_on_port() {
  local port=$1
  ss -Htlnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

find_or_start_server() {
  local port=${BENCH_URL##*:}
  port=${port%%/*}
  if curl -sf "$BENCH_URL/actuator/health" >/dev/null; then
    MANAGEMENT_URL=${MANAGEMENT_URL:-$BENCH_URL}
  fi
  if [[ -n "$MANAGEMENT_URL" ]] && curl -sf "$MANAGEMENT_URL/actuator/health" >/dev/null; then
    SERVER_PID=${SERVER_PID:-$(server_pid_on_port "$port")}
    log "found the server at $BENCH_URL (pid ${SERVER_PID:-unknown}), metrics at $MANAGEMENT_URL"
  else
    local jar
    jar=$(ls target/dedw3n-api-*.jar 2>/dev/null | grep -v original | head -1 || true)
    if [[ -z "$jar" || "${BUILD:-0}" == 1 ]]; then
      log "building the server jar (./mvnw -DskipTests package)"
      ./mvnw -q -B -DskipTests package
      jar=$(ls target/dedw3n-api-*.jar | grep -v original | head -1)
    fi
    local opts=($SERVER_JAVA_OPTS)
    [[ "$PROFILE" != 0 ]] && opts+=(-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints)
    local args=($BENCH_BUDGETS $SERVER_ARGS)
    # the production jar never starts a database of its own unless told to: the bench's embedded
    # one lives in ./data/postgres, as for ./mvnw spring-boot:run
    [[ -z "${DATABASE_URL:-}" ]] && args+=(--dedw3n.embedded-postgres.enabled=true)
    local management=$((port + 1))
    MANAGEMENT_URL=${MANAGEMENT_URL:-http://127.0.0.1:$management}
    log "starting $jar on port $port, management $management (${DATABASE_URL:+DATABASE_URL}${DATABASE_URL:-embedded PostgreSQL in ./data/postgres}) ${opts[*]:-} ${SERVER_ARGS}"
    PORT=$port MANAGEMENT_PORT=$management java "${opts[@]}" -jar "$jar" "${args[@]}" \
      >"$RESULTS/server-$STAMP.log" 2>&1 &
    STARTED_PID=$!
    SERVER_PID=$STARTED_PID
    for _ in $(seq 1 180); do
      curl -sf "$MANAGEMENT_URL/actuator/health" >/dev/null && break
      kill -0 "$STARTED_PID" 2>/dev/null || die "the server exited; see $RESULTS/server-$STAMP.log"
      sleep 1
    done
    curl -sf "$MANAGEMENT_URL/actuator/health" >/dev/null || die "the server did not start in 180 s"
    log "server up (pid $SERVER_PID), log in $RESULTS/server-$STAMP.log"
  fi
}

statements() {
  curl -sf "$MANAGEMENT_URL/actuator/metrics/dedw3n.db.statements" |
    sed -n 's/.*"statistic":"COUNT","value":\([0-9.eE+]*\).*/\1/p'
}

# Peak resident memory of the server since it started (VmHWM), in MiB: start-up, warm-ups and
# every run before included, as the peers' harness reports theirs (it was reset before each run,
# which left out the warm-up's compiling and the sign-ins, and flattered the side by side).
peak_rss() {
  [[ -n "$SERVER_PID" && -r /proc/$SERVER_PID/status ]] || { echo "n/a"; return; }
  awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$SERVER_PID/status"
}

# ---------------------------------------------------------------------------------------------
seed() {
  local marker
  marker=$(sql "SELECT coalesce(obj_description('users'::regclass), '')" 2>/dev/null || true)
  if [[ "$SEED" == never ]]; then
    log "SEED=never: using the data as it is ($marker)"
    return
  fi
  # v2: 3..7 reviews a product (W1's 150 a page) and the conversations' participant_ids
  if [[ "$SEED" == auto && "$marker" == "dedw3n-bench-seed v2 "* ]] &&
    [[ $(sql "SELECT split_part('$marker', '=', 2)::numeric = $SCALE::numeric") == t ]]; then
    log "the database already holds the data set at scale $SCALE (SEED=always reloads it)"
    return
  fi
  log "seeding the data set at scale $SCALE"
  local start=$SECONDS
  if have psql; then
    PGOPTIONS="-c bench.scale=$SCALE" psql -qX -v ON_ERROR_STOP=1 -f bench/seed.sql "$DB" 2>&1 |
      while IFS= read -r line; do printf '%6ss %s\n' "$((SECONDS - start))" "$line"; done
  else
    local driver
    driver=$(ls ~/.m2/repository/org/postgresql/postgresql/*/postgresql-*.jar | grep -v sources | tail -1)
    java -cp "$driver" bench/Seed.java "$(jdbc_url "$DB")" "$SCALE"
  fi
  log "seeded in $((SECONDS - start)) s"
}

# A signed-in session cookie for the seeded user with this id (three tries: a server still busy
# with the last run's requests may be slow to answer).
sign_in() {
  local id=$1 cookie=
  for _ in 1 2 3; do
    cookie=$(curl -s --max-time 60 -D - -o "$WORK/sign-in-$id.out" -H 'Content-Type: application/json' \
      --data "{\"query\":\"mutation(\$e:String!,\$p:String!){signIn(email:\$e,password:\$p){id}}\",\"variables\":{\"e\":\"user$id@bench.dedw3n.test\",\"p\":\"$PASSWORD\"}}" \
      "$BENCH_URL/graphql" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: SESSION=\([^;]*\).*/\1/p')
    [[ -n "$cookie" ]] && break
    log "sign-in of user$id failed: $(head -c 300 "$WORK/sign-in-$id.out" 2>/dev/null); trying again"
    sleep 2
  done
  echo "$cookie"
}

# The facts the wrk script draws from (see bench/wrk/graphql.lua), one file per operation.
write_data() {
  local op=$1 file=$WORK/$1.data
  case $op in
    W1) sql "SELECT DISTINCT category FROM products ORDER BY 1" | sed 's/^/category\t/' >"$file" ;;
    W2) printf 'products\t%s\n' "$(sql 'SELECT max(id) FROM products')" >"$file" ;;
    W3)
      # W3_USERS users (1,000: about 2,700 conversations, a tenth of them) who take part in
      # conversations that have messages, each with its conversations, signed in 4 at a time.
      # (It was 64 users, about 170 conversations that stayed in the CPU's caches, where the
      # peers and the raw-SQL ceiling draw from all 25,000.)
      sql "SELECT user_id, string_agg(conversation_id::text, ',') FROM conversation_participants
           WHERE conversation_id IN (SELECT id FROM conversations WHERE last_seq > 0)
           GROUP BY user_id ORDER BY hashint8(user_id) LIMIT $W3_USERS" |
        tr '|' ' ' >"$WORK/w3.users"
      rm -f "$WORK"/w3-session.*
      # waits for these jobs only: a bare wait would also wait for the server this script started
      local signing=()
      while read -r id conversations; do
        printf 'session\t%s\t%s\n' "$(sign_in "$id")" "$conversations" >"$WORK/w3-session.$id" &
        signing+=($!)
        if ((${#signing[@]} == 4)); then
          wait "${signing[@]}"
          signing=()
        fi
      done <"$WORK/w3.users"
      ((${#signing[@]} == 0)) || wait "${signing[@]}"
      cat "$WORK"/w3-session.* >"$file"
      rm -f "$WORK"/w3-session.*
      ;;
    W4) : >"$file" ;;
    W1apq | W2apq)
      # Apollo's automatic persisted queries: the hash of the document as wrk sends it, which the
      # first request of each wrk thread registers (with the document); every other is hash only
      write_data "${op%apq}"
      cp "$WORK/${op%apq}.data" "$file"
      printf 'hash\t%s\n' "$(tr -d '\r' <"api/${DOCUMENT[$op]}.graphql" | tr '\t' ' ' | sha256sum | cut -d' ' -f1)" >>"$file"
      ;;
    W1get | W2get)
      # GET of the registered operation by id, revalidated with If-None-Match: the tags of every
      # W1 category, and of the first 500 products for W2 (a client revalidates what it has seen)
      local id
      id=$(grep -B1 "\"name\" : \"${DOCUMENT[$op]}\"" api/persisted-query-manifest.json | sed -n 's/.*"id" : "\([0-9a-f]*\)".*/\1/p')
      [[ -n "$id" ]] || die "$op: no ${DOCUMENT[$op]} in api/persisted-query-manifest.json"
      printf 'id\t%s\n' "$id" >"$file"
      local extensions="{\"persistedQuery\":{\"version\":1,\"sha256Hash\":\"$id\"}}"
      local values
      if [[ $op == W1get ]]; then
        values=$(sql "SELECT DISTINCT category FROM products ORDER BY 1")
      else
        values=$(seq 1 "$(sql 'SELECT least(500, max(id)) FROM products')")
      fi
      while read -r value; do
        local variables
        if [[ $op == W1get ]]; then variables="{\"category\":\"$value\",\"first\":50}"; else variables="{\"id\":\"$value\"}"; fi
        local etag
        etag=$(curl -s -o /dev/null -D - -G "$BENCH_URL/graphql" --data-urlencode "operationName=${DOCUMENT[$op]}" \
          --data-urlencode "variables=$variables" --data-urlencode "extensions=$extensions" |
          tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
        printf 'get\t%s\t%s\n' "$value" "$etag" >>"$file"
      done <<<"$values"
      ;;
    W5)
      # buyers who sell nothing, so no order is for the buyer's own product
      printf 'products\t%s\n' "$(sql 'SELECT max(id) FROM products')" >"$file"
      for id in $(sql "SELECT id FROM users u WHERE NOT EXISTS
                        (SELECT 1 FROM products p WHERE p.seller_id = u.id) ORDER BY id LIMIT 32"); do
        printf 'session\t%s\t\n' "$(sign_in "$id")" >>"$file"
      done
      ;;
  esac
  if grep -q $'^session\t\t' "$file"; then die "sign-in failed for a seeded user of $op"; fi
}

declare -A DOCUMENT=([W1]=productFeed [W2]=productDetail [W3]=conversationPage [W4]=timeline [W5]=placeOrder
  [W1apq]=productFeed [W2apq]=productDetail [W1get]=productFeed [W2get]=productDetail)

# One wrk run; prints "requests rps p50_ms p99_ms errors refused ok"
drive() {
  local op=$1 connections=$2 seconds=$3
  local raw=$WORK/wrk.out
  wrk -t"$THREADS" -c"$connections" -d"${seconds}s" --latency --timeout 10s \
    -s bench/wrk/graphql.lua "$BENCH_URL/graphql" -- "$op" "api/${DOCUMENT[$op]}.graphql" "$WORK/$op.data" >"$raw" 2>&1 ||
    { cat "$raw" >&2; die "wrk failed"; }
  local line
  line=$(grep '^RESULT ' "$raw") || { cat "$raw" >&2; die "wrk printed no result"; }
  grep '^FIRST_ERROR ' "$raw" | cut -c1-400 >&2 || true
  grep '^NOT_MODIFIED ' "$raw" | sed "s/^NOT_MODIFIED /$op: 304 Not Modified answers: /" >&2 || true
  eval "${line#RESULT }"
  # shellcheck disable=SC2154 # set by eval
  awk -v r="$requests" -v d="$duration_us" -v p50="$p50_us" -v p99="$p99_us" \
    -v e=$((http_errors + graphql_errors)) -v f="$refused" -v ok="$ok" \
    'BEGIN { printf "%d %.0f %.1f %.1f %d %d %d", r, r / (d / 1e6), p50 / 1000, p99 / 1000, e, f, ok }'
}

# The warm-up, as a production server is warm: clients connect and leave (runs of WARMUP_RUN
# seconds on new connections, at the measured connection counts in turn), and the health check
# and the metrics scrape come every few seconds (the scrape this script makes around every run,
# every 2 s in the background). A warm-up over one set of connections with nothing else on the
# server left the JIT without a profile of a GET, a new connection or a closed one: the
# measured run's first scrape and first connections threw away compiled code of the whole HTTP
# path (uncommon traps on unstable branches, hundreds of methods "made not entrant") and the
# JIT compiled it again during the measurement: 7-11 s of compiler CPU in a 20 s W3 window at 16
# connections (jstat -compiler; 1-1.5 s after this change) and 12 % of the server's samples in C2
# in a profile.
warm_up() {
  local op=$1 left=$WARMUP seconds i=0
  local counts=($CONNECTIONS)
  while true; do
    statements >/dev/null || true
    curl -sf "$MANAGEMENT_URL/actuator/health" >/dev/null || true
    sleep 2
  done &
  PROBES_PID=$!
  while ((left > 0)); do
    seconds=$((left < WARMUP_RUN ? left : WARMUP_RUN))
    drive "$op" "${counts[i % ${#counts[@]}]}" "$seconds" >/dev/null || die "$op: the warm-up failed"
    left=$((left - seconds)) i=$((i + 1))
  done
  kill "$PROBES_PID" 2>/dev/null || true
  wait "$PROBES_PID" 2>/dev/null || true
  PROBES_PID=
}

# The raw-SQL ceiling of one operation: pgbench with the same number of clients (capped by
# the server's free connections); prints "clients tps p50_ms p99_ms". W5's places real orders,
# which the W5 check after the runs covers too.
ceiling() {
  local op=$1 clients=$2
  local script=$WORK/$op.pgbench
  local categories
  categories=$(sql "SELECT quote_literal(array_agg(DISTINCT category ORDER BY category)::text) || '::text[]' FROM products")
  sed -e "s/@CATEGORIES@/${categories//\//\\/}/" \
    -e "s/@CATEGORY_COUNT@/$(sql 'SELECT count(DISTINCT category) FROM products')/" \
    "bench/sql/$op.sql" >"$script"
  local free
  free=$(sql "SELECT current_setting('max_connections')::int - count(*) - 5 FROM pg_stat_activity")
  ((clients > free)) && clients=$free
  local threads=$THREADS
  ((threads > clients)) && threads=$clients
  (cd "$WORK" && rm -f pgbench_log.*)
  pgbench -n -M prepared -c "$clients" -j "$threads" -T "$DURATION" -l --log-prefix="$WORK/pgbench_log" \
    -D products="$(sql 'SELECT max(id) FROM products')" \
    -D conversations="$(sql 'SELECT max(id) FROM conversations')" \
    -D users="$(sql 'SELECT max(id) FROM users')" \
    -D buyers_from="$(sql 'SELECT max(seller_id) + 1 FROM products')" \
    -f "$script" "$DB" >"$WORK/pgbench.out" 2>&1 || { cat "$WORK/pgbench.out" >&2; die "pgbench failed"; }
  local tps
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$WORK/pgbench.out")
  # per-transaction log: the third field is the latency in microseconds
  cat "$WORK"/pgbench_log.* | awk '{ print $3 }' | sort -n >"$WORK/latencies"
  local n
  n=$(wc -l <"$WORK/latencies")
  printf '%d %.0f %.1f %.1f' "$clients" "$tps" \
    "$(sed -n "$(((n + 1) / 2))p" "$WORK/latencies" | awk '{ print $1 / 1000 }')" \
    "$(sed -n "$(((n * 99 + 99) / 100))p" "$WORK/latencies" | awk '{ print $1 / 1000 }')"
}

us_to_ms() { awk -v v="$1" 'BEGIN { printf "%.1f", v / 1000 }'; }

# An open-loop run of one operation at OPEN_LOOP times the requests/s it reached with the first
# connection count: requests leave at that fixed rate whatever the answers do, and latency counts
# from when each was due (bench/wrk/open-loop.lua), so p99 shows stalls wrk's closed loop hides.
# Each connection sends every connections/rate s, so it holds up its next request only when an
# answer takes longer than that: twice rate x the closed loop's p99 keeps such late starts rare
# (the closed loop at the first count is at full load, the open loop at OPEN_LOOP of it).
run_open_loop() {
  local op=$1 capacity=$2 closed_p99_ms=$3
  local rate connections
  rate=$(awk -v c="$capacity" -v f="$OPEN_LOOP" 'BEGIN { printf "%.0f", c * f }')
  connections=$OPEN_LOOP_CONNECTIONS
  if [[ "$connections" == auto ]]; then
    connections=$(awk -v r="$rate" -v p="$closed_p99_ms" \
      'BEGIN { n = int(2 * r * p / 1000 + 0.999); if (n < 16) n = 16; if (n > 128) n = 128; print n }')
  fi
  log "$op: open loop at $rate requests/s for $DURATION s over $connections connections"
  # wrk's Lua hooks do not say which connection they serve: one thread per connection (-t = -c);
  # -d leaves the schedule's start (1 s after wrk's) and the grace, the run ends when all are in
  wrk -t"$connections" -c"$connections" -d"$((DURATION + OPEN_LOOP_GRACE + 1))s" --timeout 10s \
    -s bench/wrk/open-loop.lua "$BENCH_URL/graphql" -- "$op" "api/${DOCUMENT[$op]}.graphql" "$WORK/$op.data" \
    "$rate" "$DURATION" "$connections" >"$WORK/open-loop.out" 2>&1 ||
    { cat "$WORK/open-loop.out" >&2; die "$op: the open loop failed"; }
  local line
  line=$(grep '^RESULT ' "$WORK/open-loop.out") || { cat "$WORK/open-loop.out" >&2; die "$op: the open loop printed no result"; }
  grep '^FIRST_ERROR ' "$WORK/open-loop.out" | cut -c1-400 >&2 || true
  eval "${line#RESULT }"
  # shellcheck disable=SC2154 # set by eval
  out "# $op open loop at $rate requests/s ($OPEN_LOOP of $capacity) over $connections connections: achieved $achieved_rps/s, p50 $(us_to_ms "$p50_us") ms, p90 $(us_to_ms "$p90_us") ms, p99 $(us_to_ms "$p99_us") ms, max $(us_to_ms "$max_us") ms (from the send, uncorrected: p50 $(us_to_ms "$sent_p50_us"), p99 $(us_to_ms "$sent_p99_us"), max $(us_to_ms "$sent_max_us")), $sent sent, $errors errors ($unanswered unanswered), $late_starts late starts, $late_timers late timers"
  read_errors=$((read_errors + errors))
}

# The floor under W1: graphql-java alone executing the W1 document over in-memory data, one
# thread, while the server idles; prints the microseconds a request and the implied requests/s.
run_floor() {
  log "W1: the graphql-java floor (bench/GraphQlFloor.java, 20 s warm-up, one thread)"
  local classpath=target/bench-classpath.txt
  # written each time: a classpath kept from an older pom would name jars that have moved on
  ./mvnw -q -B dependency:build-classpath -Dmdep.outputFile="$classpath" >&2
  java -cp "$(cat "$classpath")" bench/GraphQlFloor.java 20 10 >"$WORK/floor.out" ||
    { cat "$WORK/floor.out" >&2; die "the floor run failed"; }
  local preloaded dataloader
  preloaded=$(grep '^FLOOR round=2 shape=preloaded' "$WORK/floor.out" | sed 's/.*us_per_request=\([0-9]*\).*/\1/')
  dataloader=$(grep '^FLOOR round=2 shape=dataloader' "$WORK/floor.out" | sed 's/.*us_per_request=\([0-9]*\).*/\1/')
  out "# W1 floor (graphql-java alone, data in memory, no HTTP or SQL, one core): $dataloader us a request with DataLoaders as the server ($((1000000 / dataloader)) requests/s a core), $preloaded us with the data preloaded ($((1000000 / preloaded))/s)"
}

# CPU time a process has used so far (user + system, clock ticks), from /proc/PID/stat: the fields
# after the command name, which may hold spaces, so counted from its closing parenthesis
cpu_ticks() {
  [[ -n "$1" && -r /proc/$1/stat ]] || { echo ""; return; }
  sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# PostgreSQL's CPU, for its share of a request: the postmaster, found as the parent of the
# checkpointer that pg_stat_activity lists, and its children, the pool's backends among them. Only
# when that process is a local postgres: a database in a container or on another host has pids
# that mean nothing here, and then the line shows "-".
pg_postmaster() {
  have psql || return 0
  local checkpointer parent
  checkpointer=$(sql "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'" 2>/dev/null) || return 0
  [[ "$checkpointer" =~ ^[0-9]+$ && "$(cat "/proc/$checkpointer/comm" 2>/dev/null)" == postgres ]] || return 0
  parent=$(sed 's/.*) //' "/proc/$checkpointer/stat" | awk '{ print $2 }')
  if [[ "$(cat "/proc/$parent/comm" 2>/dev/null)" == postgres ]]; then echo "$parent"; fi
}
# PostgreSQL's CPU so far, in clock ticks: the postmaster's own, that of its children that have
# ended (the kernel adds a child's CPU to its parent's cutime and cstime when the parent reaps it:
# the pool retires a connection after dedw3n.db.max-uses uses, several a minute at these rates,
# and its backend ends) and that of its children running now. Empty when not visible here.
pg_cpu_ticks() {
  [[ -n "$PG_POSTMASTER" && -r /proc/$PG_POSTMASTER/stat ]] || return 0
  local total pid
  total=$(sed 's/.*) //' "/proc/$PG_POSTMASTER/stat" | awk '{ print $12 + $13 + $14 + $15 }')
  for pid in $(pgrep -P "$PG_POSTMASTER" || true); do
    total=$((total + $(cpu_ticks "$pid" || true) + 0))
  done
  echo "$total"
}
# CPU ms a request from clock ticks; "-" when the ticks are unknown
ms_a_request() {
  local ticks=$1 requests=$2
  [[ -n "$ticks" ]] || { echo -; return; }
  awk -v t="$ticks" -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (n > 0 ? t * 1000 / hz / n : 0) }'
}

# W6 chat fan-out: W6_SUBSCRIPTIONS real graphql-transport-ws subscribers (bench/W6.java) spread
# over conversations of two participants, both subscribed, and messages sent by wrk
# (bench/wrk/open-loop.lua, op W6) at W6_RATE for DURATION s. The roles are split because the
# JDK HttpClient costs ~4 ms of CPU a request here, so W6.java sending 1,000/s itself was the
# bottleneck on two cores; wrk costs ~0.4 ms, and receiving on WebSockets is cheap.
#   1. W6.java signs every member in (BCrypt: ~50 ms of server CPU each, so before the window),
#      subscribes, proves each subscription with one message per conversation, writes wrk's
#      data file (the members' sessions) and then the file ready.
#   2. wrk sends at the fixed rate; each body carries its due and sent wall-clock time.
#   3. psql lists what the database committed in these conversations since just before wrk
#      started; W6.java checks each reached both subscribers exactly once and computes the
#      delivery latency from the stamps (receipt - due time, same machine and clock).
# Server CPU and statements are read before and after wrk: the send window only. One line;
# errors (the sends' included), lost, duplicated or unlisted messages fail the run.
run_w6() {
  local conversations=$((W6_SUBSCRIPTIONS / 2))
  sql "SELECT c.conversation_id, string_agg(c.user_id::text, ',' ORDER BY c.user_id)
       FROM conversation_participants c
       WHERE c.conversation_id IN (SELECT conversation_id FROM conversation_participants
                                   GROUP BY conversation_id HAVING count(*) = 2)
       GROUP BY c.conversation_id ORDER BY hashint8(c.conversation_id) LIMIT $conversations" |
    tr '|' '\t' >"$WORK/W6.data"
  local dir=$WORK/w6
  # a run of its own: the markers of an earlier W6 in this invocation (OPS="W6 W6") would start
  # wrk before the subscribers are ready and stop them before anything arrived
  rm -rf "$dir"
  mkdir -p "$dir"
  log "W6: $(wc -l <"$WORK/W6.data") conversations: bench/W6.java signs their members in and subscribes"
  java bench/W6.java "$BENCH_URL" "$WORK/W6.data" --receive "$dir" >"$WORK/w6.out" &
  W6_PID=$!
  local waited=0
  until [[ -f "$dir/ready" ]]; do
    kill -0 "$W6_PID" 2>/dev/null || { cat "$WORK/w6.out" >&2; die "W6: the subscribers failed"; }
    ((waited++ < 900)) || die "W6: the subscribers were not ready within 15 minutes"
    sleep 1
  done

  local connections=$W6_CONNECTIONS
  if [[ "$connections" == auto ]]; then
    # a connection sends every connections/rate s and holds its next send while an answer is
    # out: twice rate x the 100 ms target keeps late starts rare while the server meets it
    connections=$(awk -v r="$W6_RATE" 'BEGIN { n = int(2 * r * 0.1 + 0.999); if (n < 16) n = 16; if (n > 256) n = 256; print n }')
  fi
  # every message after this id in these conversations is the window's: the warm-up's are all
  # acknowledged (committed) before W6.java writes ready
  local mark ticks before server_before w6_before
  mark=$(sql "SELECT coalesce(max(id), 0) FROM messages")
  ticks=$(getconf CLK_TCK)
  before=$(statements)
  server_before=$(cpu_ticks "$SERVER_PID")
  w6_before=$(cpu_ticks "$W6_PID")
  log "W6: wrk sends $W6_RATE messages/s for $DURATION s over $connections connections"
  # bash's time: wrk's own CPU (user, system) and its wall time, to show what the driver costs
  local TIMEFORMAT='%3U %3S %3R'
  { time wrk -t"$connections" -c"$connections" -d"$((DURATION + OPEN_LOOP_GRACE + 1))s" --timeout 10s \
    -s bench/wrk/open-loop.lua "$BENCH_URL/graphql" -- W6 api/sendMessage.graphql "$dir/senders.data" \
    "$W6_RATE" "$DURATION" "$connections" >"$WORK/w6-wrk.out" 2>&1; } 2>"$WORK/w6-wrk.time" ||
    { cat "$WORK/w6-wrk.out" >&2; die "W6: wrk failed"; }
  local server_after w6_after after wrk_user wrk_system wrk_wall
  server_after=$(cpu_ticks "$SERVER_PID")
  w6_after=$(cpu_ticks "$W6_PID")
  after=$(statements)
  read -r wrk_user wrk_system wrk_wall <"$WORK/w6-wrk.time"
  local line
  line=$(grep '^RESULT ' "$WORK/w6-wrk.out") || { cat "$WORK/w6-wrk.out" >&2; die "W6: wrk printed no result"; }
  grep '^FIRST_ERROR ' "$WORK/w6-wrk.out" | cut -c1-400 | sed 's/^/W6 send: /' >&2 || true
  # wrk's fields as wrk_*: W6.java's result below has names of its own (p50_us, ...)
  eval "$(sed -e 's/^RESULT //' -e 's/\([a-z_0-9]*\)=/wrk_\1=/g' <<<"$line")"

  # the list W6.java checks against (it waits for the file, so written whole, then renamed)
  sql "SELECT id, conversation_id FROM messages WHERE id > $mark
       AND conversation_id = ANY('{$(cut -f1 "$WORK/W6.data" | paste -sd,)}'::bigint[])" >"$dir/committed.tmp"
  mv "$dir/committed.tmp" "$dir/committed"
  wait "$W6_PID" || { cat "$WORK/w6.out" >&2; die "W6 failed"; }
  W6_PID=
  grep '^FIRST_ERROR ' "$WORK/w6.out" | cut -c1-400 | sed 's/^/W6 receive: /' >&2 || true
  line=$(grep '^RESULT ' "$WORK/w6.out") || { cat "$WORK/w6.out" >&2; die "W6 printed no result"; }
  eval "${line#RESULT }"
  # shellcheck disable=SC2154 # set by eval
  local errors=$((wrk_errors + protocol_errors))
  local server_cpu=n/a
  if [[ -n "$server_before" && -n "$server_after" ]]; then
    server_cpu=$(awk -v b="$server_before" -v a="$server_after" -v t="$ticks" -v n="$committed" -v w="$wrk_wall" \
      'BEGIN { printf "%.2f ms/message (%.2f cores)", n ? (a - b) * 1000 / t / n : 0, (a - b) / t / w }')
  fi
  # shellcheck disable=SC2154 # set by eval
  out "$(printf 'W6  %5s subscriptions over %s conversations, %s sent (%s/s, achieved %s/s), %s committed: delivered %s/s, p50 %s ms, p99 %s ms, max %s ms (from the due time; from the send p50 %s, p99 %s), lost %s, duplicates %s, unlisted %s, misrouted %s, errors %s (%s saturated, %s unanswered), stmt/message %s, rss %s MiB; send answered p50 %s ms, p99 %s ms (from the due time), %s late starts; server CPU %s; driver CPU: wrk %.1f s, W6.java %s s in %.0f s' \
    "$subscriptions" "$conversations" "$wrk_sent" "$W6_RATE" "$wrk_achieved_rps" "$committed" "$delivered_per_s" \
    "$(us_to_ms "$p50_us")" "$(us_to_ms "$p99_us")" "$(us_to_ms "$max_us")" \
    "$(us_to_ms "$sent_p50_us")" "$(us_to_ms "$sent_p99_us")" \
    "$lost" "$duplicates" "$unlisted" "$misrouted" "$errors" "$wrk_saturated" "$wrk_unanswered" \
    "$(awk -v a="$after" -v b="$before" -v n="$committed" 'BEGIN { printf "%.2f", n ? (a - b) / n : 0 }')" "$(peak_rss)" \
    "$(us_to_ms "$wrk_p50_us")" "$(us_to_ms "$wrk_p99_us")" "$wrk_late_starts" "$server_cpu" \
    "$(awk -v u="$wrk_user" -v s="$wrk_system" 'BEGIN { print u + s }')" \
    "$(awk -v a="$w6_after" -v b="$w6_before" -v t="$ticks" 'BEGIN { printf "%.1f", (a - b) / t }')" "$wrk_wall")"
  if ((errors != 0 || lost != 0 || duplicates != 0 || unlisted != 0 || misrouted != 0)); then
    failed_checks=$((failed_checks + 1))
  fi
}

# ---------------------------------------------------------------------------------------------
have wrk || die "wrk is missing: apt-get install wrk"
have curl || die "curl is missing"
find_or_start_server
if [[ "$PROFILE" != 0 && -z "$SERVER_PID" ]]; then
  die "PROFILE=$PROFILE needs the server's pid: set SERVER_PID for a server this script did not start"
fi
if [[ "$PROFILE" == async ]]; then
  ASYNC_LIBRARY=$(async_profiler) || die "async-profiler is not available"
fi
DB=$(database_url) || die "no database: set DATABASE_URL (the server's) or start the server with its embedded PostgreSQL"
have psql || log "psql is missing (apt-get install postgresql-client): seeding through bench/Seed.java, no SQL ceiling, no W5 check"
if ! have psql || ! have pgbench; then SQL_CEILING=0; fi
seed

{
  echo "# dedw3n benchmark $STAMP"
  echo "# machine: $(nproc) cores $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) memory, $(uname -sr)"
  echo "# server: $BENCH_URL pid ${SERVER_PID:-?} ($(java -version 2>&1 | head -1)); database: ${DB%%@*}@...; $(sql 'SELECT version()' | cut -d, -f1)"
  # which jar with which flags: a server found already running may not be the one just built
  if [[ -n "$SERVER_PID" && -r /proc/$SERVER_PID/cmdline ]]; then
    echo "# server command: $(tr '\0' ' ' <"/proc/$SERVER_PID/cmdline")"
  fi
  echo "# scale $SCALE, $DURATION s per run, $WARMUP s warm-up per operation, wrk -t$THREADS, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee -a "$OUT"
out "$(printf '%-3s %5s %8s %8s %8s %6s %8s %8s | %7s %8s %8s %8s %6s | %6s %6s' \
  op conns req/s p50_ms p99_ms errors stmt/op rss_MiB sql_cl sql_rps sql_p50 sql_p99 ratio srv_ms pg_ms)"
PG_POSTMASTER=$(pg_postmaster)

read_errors=0
failed_checks=0
for op in $OPS; do
  if [[ "$op" == W6 ]]; then
    run_w6
    continue
  fi
  doc=${DOCUMENT[$op]:-}
  [[ -n "$doc" ]] || die "unknown operation $op (W1..W6, W1apq W2apq W1get W2get)"
  if [[ ! -f "api/$doc.graphql" ]]; then
    out "# $op skipped: api/$doc.graphql does not exist yet"
    continue
  fi
  write_data "$op"
  if [[ "$op" == W5 ]] && have psql; then
    read -r stock_before orders_before w5_started <<<"$(sql "SELECT (SELECT sum(stock) FROM products), (SELECT coalesce(max(id), 0) FROM orders), (SELECT extract(epoch FROM now()))" | tr '|' ' ')"
    acknowledged=0
  fi
  if ((WARMUP > 0)); then
    log "$op: warming up for $WARMUP s"
    warm_up "$op"
  fi
  for c in $CONNECTIONS; do
    if ((SETTLE > 0)); then
      drive "$op" "$c" "$SETTLE" >/dev/null || die "$op: the settling run at $c connections failed"
    fi
    log "$op: $c connections for $DURATION s"
    before=$(statements)
    jfr="$(realpath "$RESULTS")/$STAMP-$op-c$c.jfr"
    if [[ "$PROFILE" == 1 ]]; then
      jcmd "$SERVER_PID" JFR.start name=bench settings=profile >/dev/null
    elif [[ "$PROFILE" == async ]]; then
      # a JFR-format recording is named when it starts and written out at stop
      java bench/Profile.java "$SERVER_PID" "$ASYNC_LIBRARY" "start,event=cpu,interval=1ms,file=$jfr,jfr"
    fi
    server_before=$(cpu_ticks "$SERVER_PID")
    pg_before=$(pg_cpu_ticks)
    result=$(drive "$op" "$c" "$DURATION") || die "$op: the run failed"
    server_after=$(cpu_ticks "$SERVER_PID")
    pg_after=$(pg_cpu_ticks)
    read -r requests rps p50 p99 errors refused ok <<<"$result"
    # CPU a request over wrk's run alone (a request's data, sign-ins included, is written before)
    server_ticks= pg_ticks=
    if [[ -n "$server_before" && -n "$server_after" ]]; then server_ticks=$((server_after - server_before)); fi
    if [[ -n "$pg_before" && -n "$pg_after" ]]; then pg_ticks=$((pg_after - pg_before)); fi
    cpu_part=$(printf '%6s %6s' "$(ms_a_request "$server_ticks" "$requests")" "$(ms_a_request "$pg_ticks" "$requests")")
    if [[ "$PROFILE" == 1 ]]; then
      jcmd "$SERVER_PID" JFR.stop name=bench filename="$jfr" >/dev/null
    elif [[ "$PROFILE" == async ]]; then
      java bench/Profile.java "$SERVER_PID" "$ASYNC_LIBRARY" stop
    fi
    if [[ "$PROFILE" != 0 ]]; then
      log "profile recording: $jfr (bench/jfr-top.sh $jfr)"
    fi
    rss=$(peak_rss)
    after=$(statements)
    per_op=$(awk -v a="$after" -v b="$before" -v r="$requests" 'BEGIN { printf "%.2f", r ? (a - b) / r : 0 }')
    if ((requests == 0)); then
      log "$op: no response came back within the run: counted as an error"
      errors=1
    fi
    # W5's too: its stock refusals are counted apart (refused), its errors are failures
    read_errors=$((read_errors + errors))
    [[ "$op" == W5 ]] && acknowledged=$((acknowledged + ok))
    sql_part=$(printf '%7s %8s %8s %8s %6s' - - - - -)
    if [[ "$SQL_CEILING" == 1 && -f "bench/sql/$op.sql" ]]; then
      log "$op: raw-SQL ceiling, pgbench with $c clients for $DURATION s"
      result=$(ceiling "$op" "$c") || die "$op: pgbench failed"
      read -r sql_clients sql_rps sql_p50 sql_p99 <<<"$result"
      ratio=$(awk -v g="$rps" -v s="$sql_rps" 'BEGIN { printf "%.2f", s ? g / s : 0 }')
      sql_part=$(printf '%7s %8s %8s %8s %6s' "$sql_clients" "$sql_rps" "$sql_p50" "$sql_p99" "$ratio")
    fi
    if [[ "$c" == "${CONNECTIONS%% *}" ]]; then
      first_rps=$rps
      first_p99=$p99
    fi
    line=$(printf '%-3s %5s %8s %8s %8s %6s %8s %8s | %s | %s' "$op" "$c" "$rps" "$p50" "$p99" "$errors" "$per_op" "$rss" "$sql_part" "$cpu_part")
    [[ "$op" == W5 ]] && line+="  (refused for stock: $refused)"
    out "$line"
  done
  if [[ "$OPEN_LOOP" != 0 && "$op" =~ ^W[1-4]$ ]]; then
    run_open_loop "$op" "$first_rps" "$first_p99"
  fi
  if [[ "$op" == W1 && "$FLOOR" == 1 ]]; then
    run_floor
  fi
  if [[ "$op" == W5 ]] && have psql; then
    # Correctness under load: every unit that left stock is in an order that was placed since the
    # runs began, no stock is negative, and no order lacks its items or disagrees with their sum.
    # Unpaid orders of earlier runs that expire meanwhile give their stock back (the server's
    # expiry sweep): those units are counted as returned.
    read -r stock_after new_orders units half negative returned <<<"$(sql "
      SELECT (SELECT sum(stock) FROM products),
             (SELECT count(*) FROM orders WHERE id > $orders_before),
             (SELECT coalesce(sum(quantity), 0) FROM order_items WHERE order_id > $orders_before),
             (SELECT count(*) FROM orders o WHERE o.id > $orders_before AND o.total_amount IS DISTINCT FROM
                (SELECT sum(quantity * unit_amount) FROM order_items i WHERE i.order_id = o.id)),
             (SELECT count(*) FROM products WHERE stock < 0),
             (SELECT coalesce(sum(i.quantity), 0) FROM orders o JOIN order_items i ON i.order_id = o.id
                WHERE o.id <= $orders_before AND o.status = 'CANCELLED'
                  AND o.status_changed_at >= to_timestamp($w5_started))" | tr '|' ' ')"
    decrement=$((stock_before - stock_after))
    verdict=OK
    if ((decrement + returned != units || half != 0 || negative != 0 || new_orders < acknowledged)); then
      verdict=FAILED
      failed_checks=$((failed_checks + 1))
    fi
    out "# W5 check $verdict: $new_orders orders placed ($acknowledged acknowledged to wrk in the measured runs; the rest during the warm-up and the settling runs, by the raw-SQL ceiling, or in flight when a run stopped), $units units ordered, stock decreased by $decrement (and $returned returned by earlier orders that expired meanwhile), $half half-written orders, $negative products with negative stock"
  fi
done
out "# read errors: $read_errors; results in $OUT"
((read_errors == 0 && failed_checks == 0)) || exit 1
