"""A load of HTTP requests from real OS threads, in a process without eventlet.

    python -m tests.load < requests.json > answers.json

Input: {"workers": N, "requests": [{"method", "url", "json", "headers"}, ...]}; output: a
list of {"status", "body"} in the same order.
"""
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import requests


def main():
    job = json.load(sys.stdin)
    local = {}

    def send(request):
        import threading
        session = local.setdefault(threading.get_ident(), requests.Session())
        answer = session.request(request["method"], request["url"], json=request.get("json"),
                                 headers=request.get("headers"), timeout=60)
        try:
            body = answer.json()
        except ValueError:
            body = answer.text
        return {"status": answer.status_code, "body": body}

    with ThreadPoolExecutor(max_workers=job["workers"]) as pool:
        answers = list(pool.map(send, job["requests"]))
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
