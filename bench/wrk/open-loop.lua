-- wrk script for an open-loop run of one operation of bench/wrk/graphql.lua: requests leave at a
-- fixed total rate whether or not earlier ones have been answered, and each latency counts from
-- the moment its request was due, so a stall of the server shows in full instead of slowing the
-- load down (the closed loop of graphql.lua sends again only after an answer: coordinated
-- omission). The same correction as wrk2's, which Debian does not package.
--
--   wrk -tCONNECTIONS -cCONNECTIONS -dD --timeout 10s -s bench/wrk/open-loop.lua \
--     http://host:port/graphql -- OP DOC DATA RATE SECONDS CONNECTIONS
--   wrk -t32 -c32 -d32s --timeout 10s -s bench/wrk/open-loop.lua http://127.0.0.1:8080/graphql \
--     -- W2 api/productDetail.graphql W2.data 200 20 32
--
-- OP DOC DATA are graphql.lua's (it builds the requests and checks the answers); RATE is the total
-- requests/s, SECONDS how long the schedule runs, CONNECTIONS must equal both -c and -t: wrk's Lua
-- hooks do not say which connection they are called for, so every connection gets a thread of its
-- own, and the thread's Lua state is the connection's. The schedule starts 1 s after wrk does
-- (its threads are created one after the other). -d is the hard end: a few seconds above
-- SECONDS + 1 leave the last answers time to come (the run ends as soon as they are all in);
-- requests still unanswered then are errors, with the time they had waited as their latency.
--
-- Pacing: the schedule is one request every 1/RATE s from a common start; connection i (0-based)
-- takes requests i, i + CONNECTIONS, i + 2 CONNECTIONS, ..., so each connection sends every
-- CONNECTIONS/RATE s, staggered by 1/RATE. wrk asks delay() before each request of a connection;
-- it answers the milliseconds until the next due time (rounded down: wrk's timers have 1 ms steps,
-- so a request may leave up to 2 ms early, never late through rounding). When the previous answer
-- came after the due time, delay() answers 0: the request leaves at once, late, and its latency
-- still counts from its due time (the correction). Latency = answer - min(due, sent): from the
-- due time when the request left late, from the moment it left when early.
--
-- A start more than 1 ms late because the connection was still busy is a late start, a sign that
-- the connections are too few for the latencies (RATE x p99 is about the number needed). A
-- request whose timer fired more than 1 ms after its due time is a late timer: wrk's thread did
-- not get the CPU in time (a loaded machine), the driver's own delay, counted in the latency.
--
-- Latencies go into a histogram of log-linear microsecond buckets per thread (64 per power of
-- two: within 1.6 %), merged in done() as wrk2 merges its HdrHistograms. wrk's own latency
-- statistics measure from the send, and wrk 4.1 adds its own guess of the omitted samples to
-- them: they are not used.
--
-- At the end one line is printed for bench.sh to read:
--   RESULT rate=.. connections=.. scheduled=.. sent=.. answered=.. achieved_rps=.. ok=..
--     errors=.. saturated=.. unanswered=.. late_starts=.. late_timers=.. p50_us=.. p90_us=.. p99_us=.. max_us=..
--     sent_p50_us=.. sent_p90_us=.. sent_p99_us=.. sent_max_us=..
-- errors counts HTTP and GraphQL errors, socket errors and unanswered requests; sent_* is the
-- latency from the moment each request left, what a driver without the correction would report;
-- saturated the errors that were the server shedding load (503 SATURATED, see graphql.lua).
--
-- W6 (chat fan-out: messages sent here, received by bench/W6.java's subscribers): request n of
-- the schedule goes to conversation n modulo their count, and its body carries its due time and
-- the moment it left on the wall clock (see graphql.lua), as bench.sh's run_w6 runs it:
--   wrk -t40 -c40 -d31s --timeout 10s -s bench/wrk/open-loop.lua http://127.0.0.1:8080/graphql \
--     -- W6 api/sendMessage.graphql senders.data 200 20 40

local script_dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(script_dir .. "graphql.lua")
local base_setup, base_init, base_request, base_response = setup, init, request, response

local ffi = require("ffi")
-- clock_gettime is graphql.lua's (clock_us): a Lua state may declare it only once
ffi.cdef [[
  void *calloc(size_t count, size_t size);
  unsigned long pthread_self(void);
  int pthread_kill(unsigned long thread, int sig);
]]
local SIGINT = 2
local MAX_CONNECTIONS = 4096

-- microseconds of CLOCK_MONOTONIC: the same clock in every thread, immune to clock changes
local function now_us()
  return clock_us(CLOCK_MONOTONIC)
end

-- the histogram: values below 128 us exact, above 64 buckets per power of two
local function bucket(us)
  local v = math.floor(us)
  if v < 0 then v = 0 end
  local shift = 0
  while v >= 128 do
    v = math.floor(v / 2)
    shift = shift + 1
  end
  return shift * 64 + v
end

-- the highest value a bucket holds (as HdrHistogram reports a percentile)
local function bucket_top(index)
  if index < 128 then return index end
  local shift = math.floor(index / 64) - 1
  return (index - shift * 64 + 1) * 2 ^ shift - 1
end

-- ---------------------------------------------------------------------------------------------
-- main thread: setup() runs here once per wrk thread, before that thread's init()

local threads = {}
-- main-state locals; each thread gets them as globals (epoch, finished_address, main_thread)
local start, finished, main

function setup(thread)
  base_setup(thread)
  if not start then
    -- wrk creates its threads one after the other, each loading this script and the data file;
    -- the schedule starts when they should all be connected
    start = now_us() + 1e6
    -- one byte per connection, set when its schedule is done; shared by address (the threads'
    -- Lua states share nothing else), never freed: the process ends with the run
    finished = ffi.C.calloc(MAX_CONNECTIONS, 1)
    main = ffi.C.pthread_self()
  end
  table.insert(threads, thread)
  thread:set("index", #threads - 1)
  thread:set("epoch", start)
  thread:set("finished_address", tonumber(ffi.cast("uintptr_t", finished)))
  thread:set("main_thread", tonumber(main))
end

-- ---------------------------------------------------------------------------------------------
-- the connection's thread; globals, not locals, where done() reads them with thread:get()
-- (epoch, index, finished_address and main_thread come from setup())

rate, connections = 0, 0
scheduled = 0             -- this connection's share of the schedule
local slots
local next_slot = 0       -- the next of this connection's slots to send
local started = false     -- delay() has been called: request() before it is wrk checking the script
local due, sent_at        -- of the request in flight
in_flight = false
in_flight_due = 0
sent, answered, late_starts, late_timers = 0, 0, 0, 0
local waited = false       -- the request about to leave waited for its due time
first_sent, last_sent = nil, nil
histogram, sent_histogram = {}, {}
max_us, sent_max_us = 0, 0

function init(args)
  base_init(args)
  rate = assert(tonumber(args[4]), "RATE (requests/s) expected")
  local seconds = assert(tonumber(args[5]), "SECONDS expected")
  connections = assert(tonumber(args[6]), "CONNECTIONS (equal to -c and -t) expected")
  assert(connections <= MAX_CONNECTIONS, "at most " .. MAX_CONNECTIONS .. " connections")
  assert(index < connections, "more threads than CONNECTIONS: -t and -c must both equal it")
  local total = math.floor(rate * seconds + 0.5)
  -- of requests 0 .. total - 1, those numbered index modulo connections
  slots = index < total and math.floor((total - 1 - index) / connections) + 1 or 0
  scheduled = slots
end

local function due_of(slot)
  return epoch + (index + slot * connections) / rate * 1e6
end

-- this connection's schedule is done: stop its thread, and if every connection is done, wake
-- wrk's main thread, which otherwise sleeps until -d (SIGINT ends its sleep, as Ctrl-C would)
local function finish()
  local flags = ffi.cast("volatile uint8_t *", finished_address)
  flags[index] = 1
  wrk.thread:stop()
  for i = 0, connections - 1 do
    if flags[i] == 0 then return end
  end
  ffi.C.pthread_kill(main_thread, SIGINT)
end

function delay()
  started = true
  if next_slot >= slots then
    finish()
    return 3600 * 1000 -- never: the thread's loop has stopped
  end
  local wait = due_of(next_slot) - now_us()
  -- called as soon as the previous answer is in: past the due time, the connection was busy
  waited = wait > 0
  if wait < -1000 then late_starts = late_starts + 1 end
  if wait <= 0 then return 0 end
  return math.floor(wait / 1000)
end

function request()
  if started and not in_flight then
    due = due_of(next_slot)
    next_slot = next_slot + 1
    sent_at = now_us()
    if waited and sent_at - due > 1000 then late_timers = late_timers + 1 end
    sent = sent + 1
    first_sent = first_sent or sent_at
    last_sent = sent_at
    in_flight, in_flight_due = true, due
    -- for W6's message body (graphql.lua): the request's number in the whole schedule, and its
    -- due time on the wall clock, which the subscribers in another process can compare with
    request_number = index + (next_slot - 1) * connections
    request_due_wall_us = due + (clock_us(CLOCK_REALTIME) - sent_at)
  end
  -- in flight already: wrk sends the request again on a new connection after a socket error,
  -- and its latency still counts from the first due time
  return base_request()
end

local function record(h, us)
  local b = bucket(us)
  h[b] = (h[b] or 0) + 1
end

function response(status, headers, body)
  base_response(status, headers, body)
  if not in_flight then return end
  local now = now_us()
  local latency = now - math.min(due, sent_at)
  record(histogram, latency)
  record(sent_histogram, now - sent_at)
  if latency > max_us then max_us = latency end
  if now - sent_at > sent_max_us then sent_max_us = now - sent_at end
  answered = answered + 1
  in_flight = false
end

-- ---------------------------------------------------------------------------------------------
-- main thread again, after every thread has stopped

-- the highest value of the bucket that holds the p-th percentile, at most the maximum seen
local function percentile(h, count, p, max)
  local indexes = {}
  for b in pairs(h) do table.insert(indexes, b) end
  table.sort(indexes)
  local rank, seen = math.max(1, math.ceil(count * p / 100)), 0
  for _, b in ipairs(indexes) do
    seen = seen + h[b]
    if seen >= rank then return math.min(bucket_top(b), max) end
  end
  return 0
end

local function merge(into, from)
  for b, n in pairs(from) do into[b] = (into[b] or 0) + n end
end

function done(summary, latency, requests)
  local now = now_us()
  local h, sh = {}, {}
  local t = { scheduled = 0, sent = 0, answered = 0, late_starts = 0, late_timers = 0, ok = 0,
    http_errors = 0, graphql_errors = 0, saturated = 0 }
  local max, sent_max, unanswered = 0, 0, 0
  local first, last, example
  local rate, connections
  for _, thread in ipairs(threads) do
    for k in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
    merge(h, thread:get("histogram"))
    merge(sh, thread:get("sent_histogram"))
    max = math.max(max, thread:get("max_us"))
    sent_max = math.max(sent_max, thread:get("sent_max_us"))
    local f, l = thread:get("first_sent"), thread:get("last_sent")
    if f then
      first = math.min(first or f, f)
      last = math.max(last or l, l)
    end
    example = example or thread:get("first_error")
    rate, connections = thread:get("rate"), thread:get("connections")
    -- what the end of the run left unanswered, the request in flight and those never sent, each
    -- with the time it had waited since it was due as its latency (the threads stopped at most
    -- 0.1 s before this)
    local waits = {}
    if thread:get("in_flight") then table.insert(waits, now - thread:get("in_flight_due")) end
    local index = thread:get("index")
    for slot = thread:get("sent"), thread:get("scheduled") - 1 do
      table.insert(waits, now - (start + (index + slot * connections) / rate * 1e6))
    end
    for _, wait in ipairs(waits) do
      record(h, wait)
      max = math.max(max, wait)
      unanswered = unanswered + 1
    end
  end
  local e = summary.errors
  -- wrk's timeout count is left out: it counts answers slower than --timeout, which are recorded
  -- here like any other (non-2xx statuses are counted by graphql.lua's response() already)
  local errors = t.http_errors + t.graphql_errors + e.connect + e.read + e.write + unanswered
  local count = t.answered + unanswered
  io.write(string.format(
    "RESULT rate=%g connections=%d scheduled=%d sent=%d answered=%d achieved_rps=%.1f ok=%d"
      .. " errors=%d saturated=%d unanswered=%d late_starts=%d late_timers=%d"
      .. " p50_us=%d p90_us=%d p99_us=%d max_us=%d"
      .. " sent_p50_us=%d sent_p90_us=%d sent_p99_us=%d sent_max_us=%d\n",
    rate or 0, #threads, t.scheduled, t.sent, t.answered,
    (first and last > first) and (t.sent - 1) / ((last - first) / 1e6) or 0,
    t.ok, errors, t.saturated, unanswered, t.late_starts, t.late_timers,
    percentile(h, count, 50, max), percentile(h, count, 90, max), percentile(h, count, 99, max),
    max,
    percentile(sh, t.answered, 50, sent_max), percentile(sh, t.answered, 90, sent_max),
    percentile(sh, t.answered, 99, sent_max), sent_max))
  if example then
    io.write("FIRST_ERROR " .. example:gsub("\n", " ") .. "\n")
  end
end
