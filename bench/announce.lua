-- wrk script for bench/tracker.ts: BitTorrent announces as clients send them (BEP 3, 23).
--   wrk -s bench/announce.lua <url> -- <path prefix> <info hash file> <many|hot|fill> <cf|plain> [peers per thread] [passkey file]
-- Each thread keeps a pool of peers (qBittorrent-style peer ids, ports and counters), each tied
-- to one info hash from the file (40 hex per line) and, with a passkey file (one per line), to
-- one member's passkey URL; it re-announces a random one per request: swarms of a steady
-- size, as on a tracker whose clients come back every interval. "hot" puts every peer in the
-- first torrent's swarm. "warm" and "warm-hot" announce each peer of those pools once (a
-- tracker's steady state: every session known) and stop. "fill" announces each peer of the pool
-- once, in turn over the file's torrents, then stops (to weigh memory per peer). "cf" adds CF-Connecting-IP as Cloudflare's
-- edge does, a fresh address per request: a pool re-announces every few seconds, far sooner
-- than min interval, and a private tracker answers an endpoint that comes back that soon with
-- no peers; from a new address (another interface of the client) it answers in full, which is
-- the work this measures. Peers of one member are spread so that no member has more than a
-- few sessions in a swarm (the tracker's limit). Prints one line "BENCH {json}" with
-- throughput, latency percentiles and outcomes.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local function escape(bytes)
  return (bytes:gsub(".", function(c) return string.format("%%%02X", c:byte()) end))
end

local function random_bytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(math.random(0, 255)) end
  return table.concat(t)
end

local peers = {}
local cf, fill, warm
local sent = 0

function init(args)
  local prefix = args[1] or ""
  local file = args[2]
  local mode = args[3] or "many"
  cf = args[4] == "cf"
  local pool = tonumber(args[5] or "10000")
  local keyfile = args[6]
  math.randomseed(7919 * (id or 1))
  local hashes = {}
  for line in io.lines(file) do
    if #line >= 40 then
      local raw = line:sub(1, 40):gsub("..", function(h) return string.char(tonumber(h, 16)) end)
      table.insert(hashes, escape(raw))
    end
  end
  local keys = {}
  if keyfile and #keyfile > 0 then
    for line in io.lines(keyfile) do
      if #line == 32 then table.insert(keys, line) end
    end
  end
  if mode == "hot" or mode == "warm-hot" then hashes = { hashes[1] } end
  fill = mode == "fill"
  -- "warm" and "warm-hot": the same pool as "many" and "hot", each peer announced once, in turn.
  warm = mode == "warm" or mode == "warm-hot"
  for i = 1, pool do
    -- A global index across threads, so members and peer ids never repeat between threads.
    local g = ((id or 1) - 1) * pool + i - 1
    local t = fill and (g % #hashes) + 1 or math.random(#hashes)
    local path = prefix
    if #keys > 0 then
      -- In fill mode a torrent's peers are consecutive members; otherwise members cycle.
      local k = fill and (math.floor(g / #hashes) % #keys) or (g % #keys)
      path = "/" .. keys[k + 1]
    end
    peers[i] = {
      path = path,
      info_hash = hashes[t],
      peer_id = escape("-qB4650-" .. (fill and string.format("%012d", g) or random_bytes(12))),
      port = math.random(1025, 65535),
      uploaded = 0,
      downloaded = 0,
      left = (math.random(4) == 1) and 0 or math.random(1, 1000000000),
    }
  end
  ok, failures, other = 0, 0, 0
end

function request()
  local p
  if fill or warm then
    sent = sent + 1
    p = peers[math.min(sent, #peers)]
  else
    p = peers[math.random(#peers)]
  end
  p.uploaded = p.uploaded + math.random(0, 1000000)
  if p.left > 0 then
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
  if (fill or warm) and ok + failures + other >= #peers then wrk.thread:stop() end
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
