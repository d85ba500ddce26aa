"""People registering while things break: each retries with the same Idempotency-Key until answered.

    python -m tests.retrying_clients < job.json > outcomes.json

Input: {"url" (or "urls": several addresses of the same service, as behind a load balancer: person
i starts at urls[i % n] and, after a dropped connection or a 502/503/504, tries the next one),
"people": [request body, ...], "seconds": spread the first tries over this long,
"workers": threads, "give_up_after": seconds}. Output: one outcome per person, in order:
{"email", "status" (the last answer, or the last error's name), "body", "tries": [what each try got],
"last_try_at" and "answered_at" (wall-clock seconds when the last try was sent and answered)}.
Runs in a process of its own with real OS threads, outside the tests' eventlet.
"""
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

RETRY_ON = {502, 503, 504}


def register(urls, person, key, give_up_at, local, start=0):
    session = local.__dict__.setdefault("session", requests.Session())
    tries = []
    turn = start
    while True:
        url = urls[turn % len(urls)]
        sent_at = time.time()
        try:
            answer = session.post(url, json=person, headers={"Idempotency-Key": key}, timeout=(3, 15))
            tries.append(answer.status_code)
            if answer.status_code not in RETRY_ON:
                try:
                    body = answer.json()
                except ValueError:
                    body = answer.text
                return {"email": person["email"], "status": answer.status_code, "body": body, "tries": tries,
                        "last_try_at": sent_at, "answered_at": time.time()}
            pause = float(answer.headers.get("Retry-After", 1))
        except requests.RequestException as error:  # the server was killed or is starting
            tries.append(type(error).__name__)
            session = local.__dict__["session"] = requests.Session()
            pause = 0.5
        turn += 1  # the next address, if there are several
        if time.monotonic() > give_up_at:
            return {"email": person["email"], "status": tries[-1], "body": None, "tries": tries,
                    "last_try_at": sent_at, "answered_at": None}
        time.sleep(min(pause, 1.0))


def main():
    job = json.load(sys.stdin)
    people, started = job["people"], time.monotonic()
    local = threading.local()

    def one(index):
        time.sleep(max(0.0, started + index * job["seconds"] / len(people) - time.monotonic()))
        person = people[index]
        urls = job.get("urls") or [job["url"]]
        return register(urls, person, f"fault-suite-{person['email']}", time.monotonic() + job["give_up_after"],
                        local, start=index)

    with ThreadPoolExecutor(max_workers=job["workers"]) as pool:
        outcomes = list(pool.map(one, range(len(people))))
    json.dump(outcomes, sys.stdout)


if __name__ == "__main__":
    main()
