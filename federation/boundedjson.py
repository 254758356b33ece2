"""JSON from other servers: I-JSON (RFC 7493), with a limit on how deeply it nests.

Python's json module recurses once per level: a body of 100,000 `[` ends in a RecursionError
that no caller expects. Nothing Bloei reads from another server nests deeper than a dozen
levels, so a document nested deeper than MAX_DEPTH is refused before it is parsed. The check
reads the raw bytes at C speed and never recurses: strings are cut out first (a bracket in a
text is not nesting), then, level by level, every innermost `[]` and `{}` pair is removed. A
document within the limit is empty after MAX_DEPTH such passes.

Numbers are I-JSON's: integers within ±(2**53 - 1), finite floats, no NaN or Infinity (which
Python's json reads by default). A node signs what it echoes (an Accept quotes the Follow)
with RFC 8785 canonical JSON, which refuses anything else; refused here, it is a 400.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64

# A string, also one that never ends; possessive, so a run of escaped quotes costs no
# backtracking.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_INNERMOST = re.compile(rb"\[\]|\{\}")
_NOT_A_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


MAX_SAFE_INTEGER = 2**53 - 1


class TooDeep(ValueError):
    """The document nests deeper than allowed (or its brackets do not pair up)."""


class NotIJson(ValueError):
    """A number I-JSON does not allow: too large an integer, NaN or Infinity."""


def nests_deeper_than(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the brackets of `body` nest deeper than `limit`, or do not pair up at all."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_A_BRACKET)
    for _ in range(limit):
        if not brackets:
            return False
        shorter = _INNERMOST.sub(b"", brackets)
        if shorter == brackets:
            return True  # brackets that do not pair up: not JSON anyway
        brackets = shorter
    return bool(brackets)


def loads(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` for documents from outside. Raises ValueError (json.JSONDecodeError,
    UnicodeDecodeError or TooDeep) for anything that is not JSON within the limit."""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if nests_deeper_than(raw, max_depth):
        raise TooDeep(f"nested deeper than {max_depth} levels")
    return json.loads(raw, parse_int=_integer, parse_float=_float, parse_constant=_constant)


def _integer(text: str) -> int:
    # 17 characters hold every safe integer with its sign; longer never reaches int().
    value = int(text) if len(text) <= 17 else None
    if value is None or abs(value) > MAX_SAFE_INTEGER:
        raise NotIJson(f"integer {text[:20]} is outside ±(2**53 - 1)")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise NotIJson(f"{text[:20]} is not a finite number")
    return value


def _constant(name: str) -> float:
    raise NotIJson(f"{name} is not JSON")
