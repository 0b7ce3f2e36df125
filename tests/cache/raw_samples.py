"""Realistic objects for the RawObject tests: one of each kind kmon.sim generates, as the
server stores them (resourceVersion, uid, creationTimestamp; managedFields included)."""

import random

from kmon.sim import objects as O


def sim_objects(seed=7):
    rng = random.Random(seed)
    tmpl = O.pod_template_spec(rng, "web")
    d = O.deployment("web", "team", rng, "web", 3, tmpl)
    rs = O.replicaset("web-abc", "team", d, "abc", 3)
    p = O.pod(rng, rs, "node-1", "10.0.0.1")
    out = [O.namespace("team", rng), O.node("node-1", rng, "zone-a"), d, rs, p,
           O.service("web", "team", rng, "web", 80), O.configmap("cm", "team", rng), O.secret("s", "team", rng),
           O.event(rng, p), O.widget("w", "team", rng)]
    for i, o in enumerate(out):
        o["metadata"].update(resourceVersion=str(100 + i), uid=f"uid-{i}", creationTimestamp=O.ts())
    return out


def sim_pods(n=3, seed=3):
    rng = random.Random(seed)
    d = O.deployment("web", "team", rng, "web", n, O.pod_template_spec(rng, "web"))
    rs = O.replicaset("web-abc", "team", d, "abc", n)
    out = []
    for i in range(n):
        p = O.pod(rng, rs, f"node-{i}", "10.0.0.1")
        p["metadata"].update(resourceVersion=str(10 + i), uid=f"uid-{i}")
        out.append(p)
    return out
