"""The cluster tests: each builds its own servers in network namespaces and kills one under load.

The checks every one of them makes of the load's outcome are here, once."""
from collections import Counter

from nameko.standalone.rpc import ClusterRpcProxy


def accepted_of(outcomes, people):
    """No answer was a 500 and all ``people`` were accepted: (what the tries got, counted; email ->
    the 201 answer's body)."""
    tries = Counter(str(t) for outcome in outcomes for t in outcome["tries"])
    assert "500" not in tries, tries
    accepted = {o["email"]: o["body"] for o in outcomes if o["status"] == 201}
    assert len(accepted) == people, [o for o in outcomes if o["status"] != 201][:3]
    return tries, accepted


def registered_once(config, event_id, accepted):
    """Each accepted person is in the register once, under the id they were answered with, and
    nobody else is; the register."""
    with ClusterRpcProxy(config, timeout=30) as cluster:
        register = cluster.registrations.list_registrations(event_id)
    assert sorted(r["email"] for r in register) == sorted(accepted)
    assert {r["id"] for r in register} == {answer["id"] for answer in accepted.values()}
    return register
