-- wrk script: counts responses whose status is not the expected one
-- (EXPECT, e.g. 303 for the relay, 200 for a page) and prints a summary.
local expected = tonumber(os.getenv("EXPECT") or "200")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  first = ""
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
    if first == "" then first = tostring(status) end
  end
end

function done(summary, latency, requests)
  local total = 0
  local example = ""
  for _, t in ipairs(threads) do
    total = total + t:get("unexpected")
    if example == "" then example = t:get("first") end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d unexpected_status=%d (expected %d%s) socket_errors connect=%d read=%d write=%d timeout=%d status_errors=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f rps=%.0f\n",
    summary.requests, total, expected,
    example ~= "" and (", e.g. " .. example) or "",
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests / (summary.duration / 1e6)))
end
