-- wrk script for bench/run.sh: claims (POST /api/v1/needs/{id}/claims) or a merchant's
-- first page of open needs (GET /api/v1/needs), with the 1,000 merchants' tokens.
-- Arguments after `--`: <seed dir> <claim|list> [needs file] [delay ms between requests].
-- Tokens go round-robin from a different start in each thread, so every merchant claims
-- about as often (each may hold 20 claims: the anti-hoarding limit).

local threads = {}
local thread_no = 0

function setup(thread)
  thread:set("no", thread_no)
  thread_no = thread_no + 1
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  for l in io.lines(path) do
    if l ~= "" then out[#out + 1] = l end
  end
  return out
end

function init(args)
  local dir = args[1]
  mode = args[2] or "claim"
  tokens = lines(dir .. "/tokens.txt")
  needs = lines(dir .. "/" .. (args[3] or "needs.txt"))
  pause = tonumber(args[4] or "0")
  next_token = (no or 0) * 7919 % #tokens
  math.randomseed(os.time() * 1000 + (no or 0))
  ok, refused, limited, failed = 0, 0, 0, 0
end

function request()
  next_token = next_token % #tokens + 1
  local headers = { ["Authorization"] = "Bearer " .. tokens[next_token] }
  if mode == "list" then
    return wrk.format("GET", "/api/v1/needs?limit=20", headers)
  end
  headers["Content-Type"] = "application/json"
  local need = needs[math.random(#needs)]
  return wrk.format("POST", "/api/v1/needs/" .. need .. "/claims", headers, '{"quantity":1}')
end

function delay()
  return pause
end

function response(status, headers, body)
  if status == 200 or status == 201 then
    ok = ok + 1
  elseif status == 429 then
    limited = limited + 1
  elseif status >= 500 then
    failed = failed + 1
  else
    refused = refused + 1
  end
end

-- One tab-separated line for run.sh: rps p50_ms p99_ms ok refused(4xx) limited(429) failed(5xx) socket_errors
function done(summary, latency, requests)
  local t = { ok = 0, refused = 0, limited = 0, failed = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
  end
  local e = summary.errors
  io.write(string.format("RESULT\t%.0f\t%.2f\t%.2f\t%d\t%d\t%d\t%d\t%d\n",
    t.ok / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    t.ok, t.refused, t.limited, t.failed, e.connect + e.read + e.write + e.timeout))
end
