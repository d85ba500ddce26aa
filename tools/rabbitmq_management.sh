#!/usr/bin/env bash
# The tests and the benchmarks make a RabbitMQ vhost of their own through the
# management API: enable its plugin when it does not answer, and wait for it.
set -euo pipefail
api="${RABBIT_API:-http://127.0.0.1:15672/api}"
curl -sf -u guest:guest "$api/overview" >/dev/null 2>&1 && exit 0
echo "Enabling RabbitMQ's management plugin"
rabbitmq-plugins enable rabbitmq_management >/dev/null
for _ in $(seq 60); do
  curl -sf -u guest:guest "$api/overview" >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "RabbitMQ's management API does not answer at $api" >&2
exit 1
