-- wrk script for a rush: each thread sends args[2] registrations (unique emails), then only
-- cheap no-op requests; the benchmark stops wrk (SIGINT) once all registrations are in.
local tid_counter = 0

function setup(thread)
  tid_counter = tid_counter + 1
  thread:set("tid", tid_counter)
end

function init(args)
  prefix = string.format("%s-%d", args[1] or "rush", tid)
  limit = tonumber(args[2] or "1000")
  -- a member of the register by default; another name makes a non-member, who pays where they must
  organisation = args[3] or "Obec Chotěšov"
  sent = 0
end

function request()
  sent = sent + 1
  if sent > limit then
    return wrk.format("GET", "/health/live")
  end
  local body = string.format(
    '{"first_name":"Jana","last_name":"Spěchající","email":"rush-%s-%d@obec.example",' ..
    '"organisation_name":"%s","gdpr_consent":true}', prefix, sent, organisation)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "non_2xx": %d, "socket_errors": %d, "p50_ms": %f, "p99_ms": %f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
