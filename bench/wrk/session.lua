-- wrk script for bench/http_bench.py: a signed-in session's cookie on every request, and for
-- submissions a form (or a multipart form with a file) carrying a marker unique to the request,
-- so the harness can count the rows afterwards (none lost, none twice).
--   wrk ... -s session.lua URL -- <cookie> <mode: get|form|upload> <csrf token> <marker> <site id>
-- done() prints one line "JSON {...}" with counts, latency percentiles (µs) and statuses.

local next_id = 0
local threads = {}

function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end

local boundary = "----helpdeskbench7d1f"
local file_bytes = string.rep("helpdesk benchmark attachment line\n", 600)  -- about 21 kB

function init(args)
  cookie = args[1] or ""
  mode = args[2] or "get"
  csrf = args[3] or ""
  marker = args[4] or "run"
  site = args[5] or ""
  wrk.headers["Cookie"] = cookie
  counter = 0
  statuses = {}
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

function request()
  if mode == "get" then
    return wrk.format(nil)
  end
  counter = counter + 1
  local tag = marker .. "-" .. tid .. "-" .. counter
  local summary = "Bench " .. tag
  local description = "Submitted by the benchmark harness, request " .. tag .. ", to measure submissions."
  if mode == "form" then
    local body = "csrfmiddlewaretoken=" .. csrf .. "&summary=" .. urlencode(summary) ..
      "&description=" .. urlencode(description)
    if site ~= "" then body = body .. "&site=" .. site end
    return wrk.format("POST", nil, {["Cookie"] = cookie, ["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
  local body = part("csrfmiddlewaretoken", csrf) .. part("summary", summary) .. part("description", description)
  if site ~= "" then body = body .. part("site", site) end
  body = body .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"" ..
    tag .. ".txt\"\r\nContent-Type: text/plain\r\n\r\n" .. file_bytes .. "\r\n--" .. boundary .. "--\r\n"
  return wrk.format("POST", nil, {["Cookie"] = cookie, ["Content-Type"] = "multipart/form-data; boundary=" .. boundary}, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do
      merged[status] = (merged[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d, ' ..
    '"mean": %.1f}, "statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, table.concat(parts, ", ")))
end
