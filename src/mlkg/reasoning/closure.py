"""Transitive closure of a relation given by adjacency sets (OWL 2 RL rule prp-trp, to a fixed point).

``reach[v]`` is the set of nodes reachable from ``v`` by one or more edges; a node on a cycle reaches itself.
Strongly connected components are found with an iterative Tarjan, which emits each component after every
component it reaches, so each set is built once from its successors' sets.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

__all__ = ["predecessors", "reach_sets"]


def reach_sets(
    *,
    nodes: Iterable[int],
    succ: Mapping[int, Collection[int]],
    known: Mapping[int, frozenset[int]] | None = None,
    within: Collection[int] | None = None,
) -> dict[int, frozenset[int]]:
    """Reachability sets for ``nodes`` (and every node they reach, unless it is outside ``within``).

    When ``within`` is given, a successor outside it is treated as settled: its set is read from ``known``
    (this is how an incremental update recomputes only the nodes whose reach can have changed; ``within`` must
    then be closed under predecessors, so no cycle leaves it).
    """
    known = known or {}
    result: dict[int, frozenset[int]] = {}
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    counter = 0
    empty: frozenset[int] = frozenset()

    def inside(node: int) -> bool:
        return within is None or node in within

    for root in nodes:
        if root in index or not inside(root):
            continue
        work: list[tuple[int, list[int], int]] = [(root, list(succ.get(root, ())), 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children, position = work[-1]
            if position < len(children):
                work[-1] = (node, children, position + 1)
                child = children[position]
                if not inside(child):
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, list(succ.get(child, ())), 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] != index[node]:
                continue
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            members = set(component)
            acc: set[int] = set()
            cyclic = len(component) > 1
            for member in component:
                for child in succ.get(member, ()):
                    if child in members:
                        cyclic = True
                        continue
                    acc.add(child)
                    acc.update(result[child] if child in result else known.get(child, empty))
            if cyclic:
                acc.update(members)
            reach = frozenset(acc)
            for member in component:
                result[member] = reach
    return result


def predecessors(*, start: Iterable[int], pred: Mapping[int, Collection[int]]) -> set[int]:
    """``start`` and every node with a path to one of them."""
    seen = set(start)
    todo = list(seen)
    while todo:
        for prev in pred.get(todo.pop(), ()):
            if prev not in seen:
                seen.add(prev)
                todo.append(prev)
    return seen
