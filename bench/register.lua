-- wrk script: POST a registration with a unique email on every request.
-- Usage: wrk -s bench/register.lua <base>/api/events/<id>/registrations
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

-- args[1]: a run id, so that emails never repeat across runs on the same event
function init(args)
  prefix = string.format("%s-%d", args[1] or "run", tid)
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"first_name":"Jana","last_name":"Zátěžová","email":"load-%s-%d@obec.example",' ..
    '"organisation_name":"Obec Chotěšov","gdpr_consent":true}', prefix, counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "non_2xx": %d, "socket_errors": %d, "p50_ms": %f, "p95_ms": %f, "p99_ms": %f}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
