"""Structured Field Values (RFC 8941): the small part that RFC 9421 and RFC 9530 need.

Strict on input (any deviation is a ValueError), canonical on output, so that a signature base
built from a parsed field serializes back byte for byte.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Token(str):
    """An sf-token, kept apart from sf-string so that it serializes back the same way."""


@dataclass(frozen=True)
class SfItem:
    value: Any
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class SfInnerList:
    items: tuple[SfItem, ...]
    params: tuple[tuple[str, Any], ...] = ()


class _SfParser:
    """A strict parser after RFC 8941 section 4.2; any deviation raises ValueError."""

    _KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
    _TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
    _NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

    def __init__(self, text: str) -> None:
        self.s = text.strip(" ")
        self.i = 0

    def dictionary(self) -> dict[str, SfItem | SfInnerList]:
        result: dict[str, SfItem | SfInnerList] = {}
        while self.i < len(self.s):
            key = self._key()
            if self._peek() == "=":
                self.i += 1
                member = self._item_or_inner_list()
            else:
                member = SfItem(True, self._params())
            result.pop(key, None)  # RFC 8941: a later duplicate wins, and moves to the end
            result[key] = member
            self._ows()
            if self.i == len(self.s):
                return result
            self._expect(",")
            self._ows()
            if self.i == len(self.s):
                raise ValueError("trailing comma")
        return result

    def _item_or_inner_list(self) -> SfItem | SfInnerList:
        if self._peek() != "(":
            return SfItem(self._bare(), self._params())
        self.i += 1
        items: list[SfItem] = []
        while True:
            while self._peek() == " ":
                self.i += 1
            if self._peek() == ")":
                self.i += 1
                return SfInnerList(tuple(items), self._params())
            items.append(SfItem(self._bare(), self._params()))
            if self._peek() not in (" ", ")"):
                raise ValueError("inner list items must be separated by spaces")

    def _params(self) -> tuple[tuple[str, Any], ...]:
        params: dict[str, Any] = {}
        while self._peek() == ";":
            self.i += 1
            while self._peek() == " ":
                self.i += 1
            key = self._key()
            value: Any = True
            if self._peek() == "=":
                self.i += 1
                value = self._bare()
            params.pop(key, None)
            params[key] = value
        return tuple(params.items())

    def _bare(self) -> Any:
        c = self._peek()
        if c == '"':
            return self._string()
        if c == ":":
            end = self.s.find(":", self.i + 1)
            if end < 0:
                raise ValueError("unterminated byte sequence")
            raw = self.s[self.i + 1 : end]
            self.i = end + 1
            if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", raw):
                raise ValueError("byte sequence is not base64")
            return base64.b64decode(raw + "=" * (-len(raw) % 4))
        if c == "?":
            value = self.s[self.i + 1 : self.i + 2]
            if value not in ("0", "1"):
                raise ValueError("bad boolean")
            self.i += 2
            return value == "1"
        if c == "-" or c.isdigit():
            m = self._NUMBER.match(self.s, self.i)
            if not m:
                raise ValueError("bad number")
            self.i = m.end()
            text = m.group(0)
            if m.group(1):
                whole, frac = text.lstrip("-").split(".")
                if len(whole) > 12 or len(frac) > 3:
                    raise ValueError("decimal out of range")
                return float(text)
            if len(text.lstrip("-")) > 15:
                raise ValueError("integer out of range")
            return int(text)
        m = self._TOKEN.match(self.s, self.i)
        if not m:
            raise ValueError(f"unexpected character {c!r}")
        self.i = m.end()
        return Token(m.group(0))

    def _string(self) -> str:
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.s[self.i : self.i + 1]
                if nxt not in ('"', "\\"):
                    raise ValueError("bad escape in string")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not (" " <= c <= "~"):
                raise ValueError("non-printable character in string")
            else:
                out.append(c)
        raise ValueError("unterminated string")

    def _key(self) -> str:
        m = self._KEY.match(self.s, self.i)
        if not m:
            raise ValueError("bad key")
        self.i = m.end()
        return m.group(0)

    def _peek(self) -> str:
        return self.s[self.i : self.i + 1]

    def _ows(self) -> None:
        while self._peek() in (" ", "\t"):
            self.i += 1

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise ValueError(f"expected {char!r}")
        self.i += 1


def parse_sf_dictionary(text: str) -> dict[str, SfItem | SfInnerList]:
    """Parse an RFC 8941 Dictionary; ValueError when it is not one."""
    return _SfParser(text).dictionary()


def serialize_bare(value: Any) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    if isinstance(value, str):
        if not all(" " <= c <= "~" for c in value):
            raise ValueError("sf-string must be printable ASCII")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError(f"cannot serialize {type(value).__name__}")


def _serialize_params(params: Iterable[tuple[str, Any]]) -> str:
    return "".join(f";{k}" if v is True else f";{k}={serialize_bare(v)}" for k, v in params)


def serialize_sf(node: SfItem | SfInnerList) -> str:
    if isinstance(node, SfInnerList):
        inner = " ".join(serialize_bare(i.value) + _serialize_params(i.params) for i in node.items)
        return f"({inner}){_serialize_params(node.params)}"
    return serialize_bare(node.value) + _serialize_params(node.params)
