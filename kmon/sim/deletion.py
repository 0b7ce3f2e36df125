"""Deletion as kube-apiserver performs it: graceful pod deletion, finalizers, namespace
termination (the namespace lifecycle admission plugin), and what a DELETE answers.

- A pod bound to a node is marked (``metadata.deletionTimestamp`` = now + grace,
  ``deletionGracePeriodSeconds`` = grace, one MODIFIED event) and stays *Terminating* until
  its kubelet deletes it with grace 0. A pod on no node is marked with grace 0 and deleted
  at once (MODIFIED then DELETED). ``gracePeriodSeconds`` (DeleteOptions or query) overrides
  the pod's ``terminationGracePeriodSeconds``; 0 on a bound pod deletes at once (``--force``).
- An object with ``metadata.finalizers`` is marked (deletionTimestamp, grace 0) and stays
  until an update empties its finalizers; that update deletes it.
- Deleting a namespace marks it (``status.phase: Terminating``); it stays, with its
  contents, until its ``kubernetes`` finalizer is removed through ``/finalize`` (the
  namespace controller's job on a real cluster; the sim then deletes its contents).
  Creating in a terminating namespace is refused: 403 ``NamespaceTerminating``.
- ``Store.delete`` itself stays immediate: it is the final step (the kubelet's grace-0
  delete, the garbage collector) and what the demo workload and tests use directly.
"""

from __future__ import annotations

import time

from kmon.sim.catalog import Resource
from kmon.sim.errors import StoreError
from kmon.sim.storage import Store, now_rfc3339

# resources whose immediate DELETE answers the deleted object (the rest: a Status)
RETURNS_DELETED_OBJECT = frozenset({
    "pods", "persistentvolumeclaims", "persistentvolumes", "podtemplates", "resourcequotas", "serviceaccounts",
    "services", "deviceclasses.resource.k8s.io", "resourceclaimtemplates.resource.k8s.io",
    "resourceclaims.resource.k8s.io", "resourceslices.resource.k8s.io", "csidrivers.storage.k8s.io",
    "csinodes.storage.k8s.io", "storageclasses.storage.k8s.io", "volumeattachments.storage.k8s.io",
    "volumeattributesclasses.storage.k8s.io",
})
_IMMORTAL = frozenset({"default", "kube-system", "kube-public"})  # namespace lifecycle admission
_PURGE_MESSAGE = ("The system is ensuring all content is removed from this namespace.  Upon completion, this "
                  "namespace will automatically be purged by the system.")


class DeleteOptions:
    """What a DELETE asks for (body ``DeleteOptions`` and query parameters)."""

    __slots__ = ("grace", "propagation", "preconditions", "dry_run")

    def __init__(self, grace: int | None = None, propagation: str = "Background", preconditions: dict | None = None,
                 dry_run: bool = False) -> None:
        self.grace, self.propagation, self.preconditions, self.dry_run = grace, propagation, preconditions, dry_run


def namespace_terminating(res: Resource, name: str, ns: str) -> StoreError:
    what = f'{res.key} "{name}"' if name else res.key
    return StoreError(403, "Forbidden", f"{what} is forbidden: unable to create new content in namespace {ns} "
                      "because it is being terminated",
                      details={**({"name": name} if name else {}), "group": res.group, "kind": res.plural},
                      causes=[{"reason": "NamespaceTerminating", "message": f"namespace {ns} is being terminated",
                               "field": "metadata.namespace"}])


def check_namespace_open(store: Store, res: Resource, name: str, ns: str | None) -> None:
    """Namespace lifecycle admission for a create: 403 when ``ns`` is terminating."""
    if not res.namespaced or not ns:
        return
    try:
        nso = store.get("namespaces", ns)
    except StoreError:
        return  # the store answers 404 for a namespace that does not exist
    if nso["metadata"].get("deletionTimestamp"):
        raise namespace_terminating(res, name, ns)


def _status_success(res: Resource, obj: dict) -> dict:
    meta = obj.get("metadata") or {}
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": meta.get("name", ""), "group": res.group, "kind": res.plural,
                        "uid": meta.get("uid", "")}}


def _check_preconditions(res: Resource, cur: dict, pre: dict | None) -> None:
    pre = pre or {}
    meta = cur["metadata"]
    for k, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        if pre.get(k) and pre[k] != meta.get(k):
            raise StoreError(409, "Conflict", f'Operation cannot be fulfilled on {res.key} "{meta["name"]}": '
                             f"Precondition failed: {label} in precondition: {pre[k]}, {label} in object meta: "
                             f"{meta.get(k)}", details={"name": meta["name"], "group": res.group, "kind": res.plural})


def _mark(cur: dict, grace: int) -> dict:
    meta = cur["metadata"]
    meta["deletionTimestamp"] = now_rfc3339(time.time() + grace)
    meta["deletionGracePeriodSeconds"] = grace
    return cur


def mark_terminating(store: Store, res: Resource | str, obj: dict, grace: int) -> dict:
    """Write ``obj`` (the current state) marked for deletion in ``grace`` seconds (one
    MODIFIED event); returns the stored object."""
    return store.update(res, _mark(obj, grace), obj["metadata"].get("namespace"), copy=False)


def delete(store: Store, res: Resource, name: str, ns: str | None, opts: DeleteOptions) -> dict:
    """Perform a DELETE; returns the body to answer (HTTP 200)."""
    with store.lock:
        cur = store.get(res, name, ns)
        _check_preconditions(res, cur, opts.preconditions)
        meta = cur["metadata"]
        if res.key == "namespaces":
            return _delete_namespace(store, res, cur, opts)
        finalizers = bool(meta.get("finalizers"))
        grace = 0
        if res.key == "pods":
            spec = cur.get("spec") or {}
            grace = opts.grace if opts.grace is not None else spec.get("terminationGracePeriodSeconds", 30)
            grace = max(0, int(grace if grace is not None else 30))
            if not spec.get("nodeName"):
                grace = 0  # nothing runs it: no kubelet to wait for
            elif grace == 0 and not finalizers:
                return _final(store, res, cur, opts)
        if meta.get("deletionTimestamp"):  # already terminating: a DELETE may only shorten the grace
            old = meta.get("deletionGracePeriodSeconds") or 0
            if res.key != "pods" or grace >= old:
                return cur
            if grace == 0 and not finalizers:
                return _final(store, res, cur, opts)
        elif res.key != "pods" and not finalizers:
            return _final(store, res, cur, opts)
        if opts.dry_run:
            return _mark(cur, grace)
        marked = mark_terminating(store, res, cur, grace)
        if grace == 0 and not finalizers:
            store.delete(res, name, ns, propagation=opts.propagation)
        return marked


def _final(store: Store, res: Resource, cur: dict, opts: DeleteOptions) -> dict:
    meta = cur["metadata"]
    if opts.dry_run:
        out = cur
    else:
        out = store.delete(res, meta["name"], meta.get("namespace"), propagation=opts.propagation)
    return out if res.key in RETURNS_DELETED_OBJECT else _status_success(res, out)


def _delete_namespace(store: Store, res: Resource, cur: dict, opts: DeleteOptions) -> dict:
    meta = cur["metadata"]
    if meta["name"] in _IMMORTAL:
        raise StoreError(403, "Forbidden", f'namespaces "{meta["name"]}" is forbidden: this namespace may not be '
                         "deleted", details={"name": meta["name"], "kind": "namespaces"})
    if meta.get("deletionTimestamp"):
        if (cur.get("spec") or {}).get("finalizers"):
            raise StoreError(409, "Conflict", f'Operation cannot be fulfilled on namespaces "{meta["name"]}": '
                             f"{_PURGE_MESSAGE}", details={"name": meta["name"], "kind": "namespaces"})
        return _final(store, res, cur, opts)
    meta["deletionTimestamp"] = now_rfc3339()
    meta["deletionGracePeriodSeconds"] = 0
    cur.setdefault("status", {})["phase"] = "Terminating"
    if opts.dry_run:
        return cur
    return store.update(res, cur, copy=False)


def after_update(store: Store, res: Resource, obj: dict) -> dict:
    """An update that left a terminating object with nothing to wait for completes its
    deletion: the last finalizer removed, a namespace's finalizers emptied (``/finalize``)."""
    meta = obj.get("metadata") or {}
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return obj
    if res.key == "namespaces":
        if (obj.get("spec") or {}).get("finalizers"):
            return obj
    elif res.key == "pods" and meta.get("deletionGracePeriodSeconds"):
        return obj  # still waiting for its kubelet
    store.delete(res, meta["name"], meta.get("namespace"))
    return obj
