-- wrk script for one reference operation of WORKLOAD.md, sent as a GraphQL POST with the
-- operation document from api/ and variables drawn at random for every request.
--
--   wrk -t2 -c16 -d30s --latency -s bench/wrk/graphql.lua http://host:port/graphql -- OP DOC DATA
--
-- OP is W1..W6 (or W1apq/W2apq: hash-only automatic persisted queries; W1get/W2get: GET of the
-- registered operation with If-None-Match), DOC the operation document (api/productFeed.graphql, ...), DATA a file the driver
-- writes from the database, one fact per line, tab-separated:
--   category <name>                     W1: the categories to draw from
--   products <n>                        W2, W5: product ids are 1..n
--   session  <SESSION cookie> [ids]     W3, W5: a signed-in user, with the conversations it is in (W3)
--   conversation <id> <cookie> <cookie>  W6: a conversation and its members' "SESSION=.." cookies
--                                       (bench/W6.java writes them after signing the members in)
-- W6 sends one message (api/sendMessage.graphql) to a conversation as one of its members, with a
-- body that carries the wall-clock microseconds (CLOCK_REALTIME) it was due and sent at,
-- "w6 due=<us> sent=<us>", from which W6.java's subscribers, on the same machine, compute the
-- delivery latency. In the closed loop both are the moment it leaves and the conversation is
-- drawn at random; open-loop.lua sets request_number and request_due_wall_us before each request:
-- request n goes to conversation n modulo their count, from its members in turn.
-- At the end one line is printed for the driver to read:
--   RESULT requests=.. duration_us=.. p50_us=.. p99_us=.. http_errors=.. graphql_errors=.. refused=.. ok=..
--     saturated=..
-- A response is an error when its status is not 200 or its body has "errors"; for W5 a CONFLICT
-- (not enough stock: refused whole, nothing changed) is counted apart as refused, not as an error.
-- saturated counts the HTTP errors that are the server shedding load (503 SATURATED: no turn to
-- execute within its queue timeout), a part of http_errors.

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local op, document, operation_name
local categories, products, sessions, conversations = {}, 0, {}, {}
-- W1apq/W2apq: the document's hash (automatic persisted queries); W1get/W2get: the registered
-- operation's id and, per category or product, the ETag its answer had
local hash, registered, persisted_id, gets = nil, false, nil, {}
not_modified = 0
-- globals, not locals: done() reads them from each thread with thread:get()
ok, graphql_errors, refused, http_errors, saturated = 0, 0, 0, 0, 0
-- W6: set by open-loop.lua before each request() (see above); nil in the closed loop
request_number, request_due_wall_us = nil, nil

-- the clocks, through LuaJIT's ffi (wrk's os.time() has whole seconds): clock_us(CLOCK_REALTIME)
-- is comparable with another process's wall clock on this machine, clock_us(CLOCK_MONOTONIC)
-- immune to clock changes (open-loop.lua paces with it). Declared here once: a Lua state may not
-- declare clock_gettime twice, and open-loop.lua loads this file first.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *tp);
]]
CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1
local timespec = ffi.new("bench_timespec")
function clock_us(clock)
  ffi.C.clock_gettime(clock, timespec)
  return tonumber(timespec.tv_sec) * 1e6 + tonumber(timespec.tv_nsec) / 1e3
end
first_error = nil

local function json_string(s)
  s = s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('\n', '\\n'):gsub('\r', ''):gsub('\t', ' ')
  return '"' .. s .. '"'
end

local function read_file(path)
  local f = assert(io.open(path, "r"), "cannot read " .. path)
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  op = args[1]
  local text = read_file(args[2])
  operation_name = text:match("query%s+([%w_]+)") or text:match("mutation%s+([%w_]+)")
  document = json_string(text)
  if args[3] then
    for line in io.lines(args[3]) do
      local kind, a, b = line:match("^(%S+)\t([^\t]*)\t?(.*)$")
      if kind == "category" then
        table.insert(categories, a)
      elseif kind == "products" then
        products = tonumber(a)
      elseif kind == "hash" then
        hash = a
      elseif kind == "id" then
        persisted_id = a
      elseif kind == "get" then
        table.insert(gets, { value = a, etag = b })
      elseif kind == "session" then
        local ids = {}
        for id in b:gmatch("%d+") do table.insert(ids, id) end
        table.insert(sessions, { cookie = "SESSION=" .. a, ids = ids })
      elseif kind == "conversation" then
        local cookies = {}
        for cookie in b:gmatch("%S+") do table.insert(cookies, cookie) end
        table.insert(conversations, { id = a, cookies = cookies })
      end
    end
  end
  math.randomseed(os.time() * 100 + (id or 0))
  -- LuaJIT's first numbers after seeding are poorly spread
  for _ = 1, 10 do math.random() end
end

local function post(variables, cookie)
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  if cookie then headers["Cookie"] = cookie end
  local body = '{"operationName":"' .. operation_name .. '","query":' .. document
    .. ',"variables":' .. variables .. '}'
  return wrk.format("POST", nil, headers, body)
end

local function post_hash_only(variables)
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  local body = '{"operationName":"' .. operation_name .. '","variables":' .. variables
    .. ',"extensions":{"persistedQuery":{"version":1,"sha256Hash":"' .. hash .. '"}}'
  if not registered then
    -- as Apollo Client does after PersistedQueryNotFound: the hash with the document, until an
    -- answer shows it registered (the thread's other connections must not race ahead of it)
    body = body .. ',"query":' .. document
  end
  return wrk.format("POST", nil, headers, body .. '}')
end

local function url_encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function get(variables, etag)
  local path = "/graphql?operationName=" .. operation_name .. "&variables=" .. url_encode(variables)
    .. "&extensions=" .. url_encode('{"persistedQuery":{"version":1,"sha256Hash":"' .. persisted_id .. '"}}')
  local headers = { ["Accept"] = "application/json" }
  if etag and etag ~= "" then headers["If-None-Match"] = etag end
  return wrk.format("GET", path, headers)
end

local function three_products()
  local a = math.random(products)
  local b, c
  repeat b = math.random(products) until b ~= a
  repeat c = math.random(products) until c ~= a and c ~= b
  return a, b, c
end

function request()
  if op == "W1apq" then
    return post_hash_only('{"category":' .. json_string(categories[math.random(#categories)]) .. ',"first":50}')
  elseif op == "W2apq" then
    return post_hash_only('{"id":"' .. math.random(products) .. '"}')
  elseif op == "W1get" then
    local g = gets[math.random(#gets)]
    return get('{"category":' .. json_string(g.value) .. ',"first":50}', g.etag)
  elseif op == "W2get" then
    local g = gets[math.random(#gets)]
    return get('{"id":"' .. g.value .. '"}', g.etag)
  elseif op == "W1" then
    return post('{"category":' .. json_string(categories[math.random(#categories)]) .. ',"first":50}')
  elseif op == "W2" then
    return post('{"id":"' .. math.random(products) .. '"}')
  elseif op == "W3" then
    local s = sessions[math.random(#sessions)]
    return post('{"id":"' .. s.ids[math.random(#s.ids)] .. '","last":50}', s.cookie)
  elseif op == "W4" then
    return post('{"first":20}')
  elseif op == "W6" then
    local n = request_number or math.random(#conversations * 2) - 1
    local c = conversations[n % #conversations + 1]
    local cookie = c.cookies[math.floor(n / #conversations) % #c.cookies + 1]
    local sent = clock_us(CLOCK_REALTIME)
    return post(string.format('{"conversationId":"%s","body":"w6 due=%.0f sent=%.0f"}',
      c.id, request_due_wall_us or sent, sent), cookie)
  elseif op == "W5" then
    local s = sessions[math.random(#sessions)]
    local a, b, c = three_products()
    return post(string.format(
      '{"items":[{"productId":"%d","quantity":%d},{"productId":"%d","quantity":%d},{"productId":"%d","quantity":%d}]}',
      a, math.random(3), b, math.random(3), c, math.random(3)), s.cookie)
  end
  error("unknown operation " .. tostring(op))
end

function response(status, headers, body)
  if status == 304 then
    -- If-None-Match matched: the answer is unchanged, and no body was sent
    not_modified = not_modified + 1
    ok = ok + 1
  elseif status ~= 200 then
    http_errors = http_errors + 1
    if status == 503 and body:find('SATURATED', 1, true) then saturated = saturated + 1 end
    first_error = first_error or ("HTTP " .. status .. " " .. body:sub(1, 300))
  elseif body:find('"errors"', 1, true) then
    if op == "W5" and body:find('"CONFLICT"', 1, true) then
      refused = refused + 1
    else
      graphql_errors = graphql_errors + 1
      first_error = first_error or body:sub(1, 300)
    end
  else
    ok = ok + 1
    if hash then registered = true end
  end
end

function done(summary, latency, requests)
  local totals = { ok = 0, graphql_errors = 0, refused = 0, http_errors = 0, not_modified = 0, saturated = 0 }
  local example
  for _, t in ipairs(threads) do
    for k in pairs(totals) do totals[k] = totals[k] + (t:get(k) or 0) end
    example = example or t:get("first_error")
  end
  local e = summary.errors
  -- socket errors (connect, read, write, timeout) are errors too; non-2xx statuses are counted
  -- by response() already
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d http_errors=%d graphql_errors=%d refused=%d ok=%d saturated=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    totals.http_errors + socket_errors, totals.graphql_errors, totals.refused, totals.ok, totals.saturated))
  if example then
    io.write("FIRST_ERROR " .. example:gsub("\n", " ") .. "\n")
  end
  if totals.not_modified > 0 then
    io.write(string.format("NOT_MODIFIED %d\n", totals.not_modified))
  end
end
