-- POST one JSON body on every request over keep-alive connections, then print a machine-readable
-- summary line that bench/harness.py parses.
-- Environment: BENCH_BODY (the JSON body); BENCH_AUTH (the Authorization header value, or several
-- separated by newlines: each thread then rotates through them request by request).

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"

local auths = {}
for value in string.gmatch(os.getenv("BENCH_AUTH") or "", "[^\n]+") do
  table.insert(auths, value)
end
wrk.headers["Authorization"] = auths[1]

if #auths > 1 then
  local next_auth = 0
  function request()
    next_auth = next_auth % #auths + 1
    wrk.headers["Authorization"] = auths[next_auth]
    return wrk.format()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
