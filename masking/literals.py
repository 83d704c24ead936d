"""One pattern for many literal strings, compiled as a trie, so a text is scanned once for all of them.

Propagation looks for every detected value in the whole document. One regex per value costs
O(values x text): minutes on a megabyte with thousands of names. An alternation built as a trie
("Ann(?:a|e)") matches in time proportional to the match, whatever the number of values.
White space inside a value matches any run of white space, so a name broken across lines is found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

_WHITESPACE = re.compile(r"\s+")
# trie key marking the end of a literal; never a character of one
_END = ""
Trie: TypeAlias = dict[str, "Trie"]


def collapse_whitespace(value: str) -> str:
    return _WHITESPACE.sub(" ", value.strip())


def literal_key(value: str, *, ignore_case: bool) -> str:
    """The key under which a matched string finds its literal: white space collapsed, case folded if asked."""
    collapsed = collapse_whitespace(value)
    return collapsed.lower() if ignore_case else collapsed


def _insert(trie: Trie, literal: str) -> None:
    node = trie
    for char in literal:
        node = node.setdefault(char, {})
    node[_END] = {}


def _char_pattern(char: str) -> str:
    return r"\s+" if char == " " else re.escape(char)


def _to_pattern(node: Trie) -> str:
    """Regex for a trie node. The optional tail is greedy, so each position yields its longest literal;
    runs of single-child nodes are walked in a loop, so recursion depth is the number of branch points."""
    chain = []
    while len(node) == 1 and _END not in node:
        char, node = next(iter(node.items()))
        chain.append(_char_pattern(char))
    branches = [
        _char_pattern(char) + _to_pattern(child) for char, child in sorted(node.items()) if char != _END
    ]
    prefix = "".join(chain)
    if not branches:
        return prefix
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return prefix + (f"(?:{body})?" if _END in node else body)


def literal_union(literals: Iterable[str], *, ignore_case: bool) -> str | None:
    """Regex source matching any of ``literals`` (keys as made by literal_key); None if there are none."""
    trie: Trie = {}
    for literal in literals:
        key = literal_key(literal, ignore_case=ignore_case)
        if key:
            _insert(trie, key)
    if not trie:
        return None
    return _to_pattern(trie)
