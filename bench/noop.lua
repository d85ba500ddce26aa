-- wrk script: the service's no-op endpoint, the framework's ceiling here.
function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %f, "non_2xx": %d, "socket_errors": %d, "p50_ms": %f, "p95_ms": %f, "p99_ms": %f}\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
