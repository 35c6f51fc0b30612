-- wrk script for the HTTP benchmark: one request shape per run, with ids
-- spread at random so by-id reads touch every seeded row.
--
-- wrk -s wrk.lua URL -- METHOD PATH BODY IDLO IDHI PIDLO PIDHI
-- `{id}` and `{pid}` in PATH and BODY are replaced per request; BODY "-"
-- means none. `done` prints one machine-readable line starting "WRKJSON".

local method, path, body
local idlo, idhi, pidlo, pidhi
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("seed", thread_no)
end

function init(args)
  method = args[1]
  path = args[2]
  if args[3] ~= "-" then body = args[3] end
  idlo, idhi = tonumber(args[4]), tonumber(args[5])
  pidlo, pidhi = tonumber(args[6]), tonumber(args[7])
  math.randomseed(os.time() * 100 + (seed or 0))
  if body then wrk.headers["Content-Type"] = "application/json" end
end

local function fill(s)
  local id = tostring(math.random(idlo, idhi))
  local pid = tostring(math.random(pidlo, pidhi))
  s = string.gsub(s, "{id}", id)
  s = string.gsub(s, "{pid}", pid)
  return s
end

function request()
  local b = nil
  if body then b = fill(body) end
  return wrk.format(method, fill(path), nil, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    math.floor(latency:percentile(50)), math.floor(latency:percentile(90)), math.floor(latency:percentile(99)),
    math.floor(latency.max)))
end
