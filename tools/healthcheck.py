"""A probe for containers without HTTP: the service answers its health() over RPC.

    python -m tools.healthcheck members      # exit 0 when it answers within 5 s
"""
import os
import sys


def main(service):
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")}
    try:
        with ClusterRpcProxy(config, timeout=5) as cluster:
            answer = getattr(cluster, service).health()
    except Exception as error:
        print(f"{service}: {error}", file=sys.stderr)
        return 1
    print(answer)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
