-- wrk script for bench/tracker.ts: BitTorrent announces as clients send them (BEP 3, 23).
--   wrk -t <threads> -s bench/announce.lua <url> -- <pool file> <loop|once> <cf|plain> <threads>
-- The pool file (written by bench/tracker.ts) has one peer a line: its URL path (with a
-- member's passkey, or none), escaped info hash and peer id, port, bytes left, and optionally
-- 1 for an idle peer (a seed whose counters do not move: the bulk of a real tracker). Thread k of
-- n takes every n-th line. "loop" re-announces a random peer of the pool per request, its
-- counters moving on: swarms of a steady size, as on a tracker whose clients come back every
-- interval. "once" announces each peer once, in turn, then stops (to weigh memory per peer;
-- wrk itself still waits out -d). "cf" adds CF-Connecting-IP as Cloudflare's edge does, a
-- fresh address per request: a pool re-announces every few seconds, far sooner than min
-- interval, and a private tracker answers an endpoint that comes back that soon with no
-- peers; from a new address (another interface of the client) it answers in full, which is
-- the work this measures. Prints one line "BENCH {json}" with throughput, latency
-- percentiles and outcomes.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local peers = {}
local cf, once
local sent = 0

function init(args)
  local file = args[1]
  once = args[2] == "once"
  cf = args[3] == "cf"
  local nthreads = tonumber(args[4] or "1")
  math.randomseed(7919 * (id or 1))
  local i = 0
  for line in io.lines(file) do
    local path, ih, pid, port, left, idle = line:match("^(%S*) (%S+) (%S+) (%d+) (%d+) ?(%d?)$")
    if ih then
      if i % nthreads == (id or 1) - 1 then
        table.insert(peers, { path = path, info_hash = ih, peer_id = pid, port = tonumber(port), left = tonumber(left), uploaded = 0, downloaded = 0, idle = idle == "1" })
      end
      i = i + 1
    end
  end
  ok, failures, other = 0, 0, 0
end

function request()
  local p
  if once then
    sent = sent + 1
    p = peers[math.min(sent, #peers)]
  else
    p = peers[math.random(#peers)]
  end
  if not p.idle then p.uploaded = p.uploaded + math.random(0, 1000000) end
  if p.left > 0 and not p.idle then
    local got = math.min(p.left, math.random(0, 4000000))
    p.downloaded = p.downloaded + got
    p.left = p.left - got
  end
  local path = p.path .. "/announce?info_hash=" .. p.info_hash .. "&peer_id=" .. p.peer_id ..
    "&port=" .. p.port .. "&uploaded=" .. p.uploaded .. "&downloaded=" .. p.downloaded ..
    "&left=" .. p.left .. "&corrupt=0&key=1A2B3C4D&numwant=50&compact=1&no_peer_id=1&supportcrypto=1"
  local headers = {}
  if cf then headers["CF-Connecting-IP"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254) end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  if status ~= 200 then
    other = other + 1
  elseif body:find("failure reason", 1, true) then
    failures = failures + 1
  else
    ok = ok + 1
  end
  if once and ok + failures + other >= #peers then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local ok_all, failures_all, other_all = 0, 0, 0
  for _, t in ipairs(threads) do
    ok_all = ok_all + (t:get("ok") or 0)
    failures_all = failures_all + (t:get("failures") or 0)
    other_all = other_all + (t:get("other") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"ok":%d,"failures":%d,"other":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    ok_all, failures_all, other_all, e.connect, e.read, e.write, e.status, e.timeout))
end
