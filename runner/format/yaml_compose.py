"""Compose YAML nodes from the parser's event stream, handing over a list's items one by one.

Why not the parser's own composer (``get_single_node``): it holds the node tree of the whole
file until the last byte is read, about 15 KB per request step; a 10,000-step collection
peaked at 200 MB while it was read. Here the items of one chosen list (a collection's top-level
``steps``) go to a callback as soon as each is complete and are not kept, so reading takes
the memory of one step at a time. It is also faster: the one Python call per scalar that the
C composer makes (the resolver) is replaced by a table lookup.

The nodes are PyYAML's (``ScalarNode``, ``SequenceNode``, ``MappingNode``), with the same
tags, marks and styles as the C composer gives. What the loader refuses is found here without
building anything from it: an alias is reported (never expanded: no "billion laughs"), and so
is a node deeper than ``max_depth``; both are returned as the first ``Problem`` in the file,
after the whole file has been parsed, so that malformed YAML anywhere is reported first, as
before. Malformed YAML, an undefined alias, a repeated anchor and a second document raise
PyYAML's ``MarkedYAMLError``, as the C composer does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR = "tag:yaml.org,2002:str"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
NULL = "tag:yaml.org,2002:null"

# A plain scalar's implicit resolvers, by its first character (as PyYAML's resolver keeps them).
Resolvers = dict[str, list[tuple[str, re.Pattern[str]]]]


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing the loader refuses, found while composing: where and what."""

    node: Node
    kind: Literal["alias", "depth"]


@dataclass(frozen=True, slots=True)
class Composed:
    """What ``compose`` read: the root node (None for an empty stream), the first problem,
    and the list whose items went to ``on_item`` (None when there was none)."""

    root: Node | None
    problem: Problem | None
    streamed: SequenceNode | None


def compose(
    parser: Any,
    resolvers: Resolvers,
    max_depth: int,
    stream_key: str | None = None,
    on_item: Callable[[Node], None] | None = None,
) -> Composed:
    """Compose the document's nodes.

    ``parser`` gives events (``get_event``). With ``stream_key``, when the root is a mapping
    whose first key of that name holds a plain list, each item of that list is passed to
    ``on_item`` as soon as it is complete, and left out of the list's node (which stays
    empty); items after a problem are not passed on (the file is refused anyway)."""
    get = parser.get_event
    get()  # StreamStartEvent
    root: Node | None = None
    problem: Problem | None = None
    stack: list[Any] = []  # open sequences and mappings
    keys: list[Node | None] = []  # for each open mapping, its key waiting for a value
    streamed: SequenceNode | None = None  # the list whose items go to on_item
    anchors: dict[str, Any] = {}  # anchor name -> the mark where it was set
    documents = 0
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                tag = STR
                value = event.value
                if event.implicit[0]:
                    for candidate, pattern in resolvers.get(value[:1], ()):
                        if pattern.match(value):
                            tag = candidate
                            break
            node: Node = ScalarNode(
                tag, event.value, event.start_mark, event.end_mark, style=event.style
            )
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            tag = event.tag
            is_map = kind is MappingStartEvent
            if tag is None or tag == "!":
                tag = MAP if is_map else SEQ
            node = (MappingNode if is_map else SequenceNode)(
                tag, [], event.start_mark, None, flow_style=event.flow_style
            )
        elif kind is SequenceEndEvent or kind is MappingEndEvent:
            done = stack.pop()
            keys.pop()
            done.end_mark = event.end_mark
            if streamed is not None and stack and stack[-1] is streamed:
                if problem is None and on_item is not None:
                    on_item(done)
            continue
        elif kind is AliasEvent:
            if event.anchor not in anchors:
                raise ComposerError(None, None, "found undefined alias", event.start_mark)
            # a stand-in: the aliased value is never reached, so it cannot expand
            node = ScalarNode(NULL, "", event.start_mark, event.end_mark)
            if problem is None:
                problem = Problem(node, "alias")
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise ComposerError(None, None, "but found another document", event.start_mark)
            continue
        elif kind is StreamEndEvent:
            return Composed(root, problem, streamed)
        else:  # DocumentEndEvent
            continue
        anchor = event.anchor if kind is not AliasEvent else None
        if anchor is not None:
            if anchor in anchors:
                first = anchors[anchor].line + 1
                raise ComposerError(
                    None, None, f"anchor &{anchor} set twice (first on line {first})",
                    event.start_mark,
                )  # fmt: skip
            anchors[anchor] = event.start_mark
        depth = len(stack)
        if depth > max_depth and problem is None:
            problem = Problem(node, "depth")
        if not stack:
            root = node
        else:
            parent = stack[-1]
            if parent is streamed:
                if kind is ScalarEvent or kind is AliasEvent:
                    if problem is None and on_item is not None:
                        on_item(node)
            elif type(parent) is SequenceNode:
                parent.value.append(node)
            else:
                key = keys[-1]
                if key is None:
                    keys[-1] = node
                else:
                    parent.value.append((key, node))
                    keys[-1] = None
                    if (
                        depth == 1
                        and stream_key is not None
                        and streamed is None
                        and type(node) is SequenceNode
                        and node.tag == SEQ
                        and type(key) is ScalarNode
                        and key.value == stream_key
                    ):
                        streamed = node
        if kind is MappingStartEvent or kind is SequenceStartEvent:
            stack.append(node)
            keys.append(None)
