"""What a context, namespace or kind row of the tree is, in words, for the detail pane.

Why this module exists: selecting a container row must show that row (never the previous
object's YAML or history). A context says which server it talks to, its state and what its
cache holds per kind; a namespace and a kind say what they hold and how each informer is
doing. The text is built from the tree's incremental counts (O(namespaces x kinds)), so the
pane can rebuild it after every batch.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kmon.monitor.resource_states import ResourceStates
from kmon.monitor.summary import display_resource
from kmon.monitor.tree_node import CLUSTER_SCOPED, CONTEXT, KIND, NAMESPACE, Node

__all__ = ["NodeSummary", "summarize_node"]


@dataclass(frozen=True)
class NodeSummary:
    title: str
    subtitle: str
    html: str


def _n(count: int, what: str) -> str:
    return f"{count:,} {what}{'' if count == 1 else 's'}"


def _kind_counts(nodes: list[Node]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in nodes:
        counts[kind.name] = counts.get(kind.name, 0) + kind.count
    return counts


def _informer_text(states: ResourceStates | None, context: str, resource: str) -> str:
    st = states.resources.get((context, resource)) if states is not None else None
    if st is None:
        return ""
    progress = st.progress_text()
    return progress or st.state


def _kinds_table(counts: dict[str, int], states: ResourceStates | None, context: str) -> str:
    if not counts:
        return "<p><i>Nothing cached here yet.</i></p>"
    rows = []
    for res in sorted(counts, key=lambda r: (display_resource(r), r)):
        state = html.escape(_informer_text(states, context, res))
        rows.append(
            f"<tr><td>{html.escape(display_resource(res))}</td>"
            f"<td align='right'>&nbsp;&nbsp;{counts[res]:,}</td><td>&nbsp;&nbsp;{state}</td></tr>"
        )
    head = "<tr><th align='left'>Resource</th><th align='right'>&nbsp;&nbsp;Objects</th><th align='left'>&nbsp;&nbsp;Informer</th></tr>"
    return f"<table cellspacing='0' cellpadding='2'>{head}{''.join(rows)}</table>"


def _hint() -> str:
    return "<p><i>Select an object to see its YAML and how it got there (History).</i></p>"


def summarize_node(node: Node, *, server: str = "", states: ResourceStates | None = None) -> NodeSummary:
    """The title, subtitle and HTML body describing a context, namespace or kind row."""
    if node.level == CONTEXT:
        state = node.progress or node.state or "open"
        namespaces = [ns for ns in node.children if ns.name != CLUSTER_SCOPED]
        kinds = [k for ns in node.children for k in ns.children]
        facts = [("State", state)]
        if node.error:
            facts.append(("Error", node.error))
        if server:
            facts.append(("Server", server))
        table = "".join(
            f"<tr><td><b>{html.escape(k)}</b>&nbsp;&nbsp;</td><td>{html.escape(v)}</td></tr>" for k, v in facts
        )
        body = f"<table cellspacing='0' cellpadding='2'>{table}</table><p></p>"
        body += _kinds_table(_kind_counts(kinds), states, node.name) + _hint()
        sub = f"{_n(node.count, 'object')} in {_n(len(namespaces), 'namespace')}"
        return NodeSummary(f"Context {node.name}", sub, body)
    if node.level == NAMESPACE:
        ctx = node.parent.name if node.parent is not None else ""
        title = "Cluster-scoped objects" if node.name == CLUSTER_SCOPED else f"Namespace {node.name}"
        body = _kinds_table(_kind_counts(node.children), states, ctx) + _hint()
        return NodeSummary(title, f"{ctx} · {_n(node.count, 'object')} of {_n(len(node.children), 'kind')}", body)
    if node.level == KIND:
        ns = node.parent
        ctx = ns.parent.name if ns is not None and ns.parent is not None else ""
        where = "cluster-scoped" if ns is None or ns.name == CLUSTER_SCOPED else f"in {ns.name}"
        title = f"{display_resource(node.name)} {where}"
        informer = _informer_text(states, ctx, node.name)
        facts = f"<p>{_n(node.count, 'object')} cached" + (
            f"; informer: {html.escape(informer)}" if informer else "") + "</p>"
        return NodeSummary(title, f"{ctx} · {node.name} · {_n(node.count, 'object')}", facts + _hint())
    return NodeSummary("Select an object in the tree", "", "")
