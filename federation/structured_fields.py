"""Structured Field Values (RFC 8941) for RFC 9421 and RFC 9530, on top of `http-sf`.

`http-sf` does the parsing and serializing; this module keeps the few plain types the
signature code works with (`SfItem`, `SfInnerList`, `Token`), so a signature base built from a
parsed field serializes back byte for byte, and any malformed field is one ValueError.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import http_sf


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


def parse_sf_dictionary(text: str) -> dict[str, SfItem | SfInnerList]:
    """Parse an RFC 8941 Dictionary; ValueError when it is not one."""
    try:
        parsed = http_sf.parse(text.encode("ascii"), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError) as error:
        raise ValueError(f"not a structured field dictionary: {error}") from None
    return {key: _member(value) for key, value in parsed.items()}


def serialize_bare(value: Any) -> str:
    return http_sf.ser((_outgoing(value), {}))


def serialize_sf(node: SfItem | SfInnerList) -> str:
    if isinstance(node, SfInnerList):
        items = [(_outgoing(i.value), _outgoing_params(i.params)) for i in node.items]
        # A List of one inner list serializes exactly as that inner list on its own.
        return http_sf.ser([(items, _outgoing_params(node.params))])
    return http_sf.ser((_outgoing(node.value), _outgoing_params(node.params)))


def _member(value: tuple) -> SfItem | SfInnerList:
    bare, params = value
    if isinstance(bare, list):
        return SfInnerList(tuple(_item(i) for i in bare), _params(params))
    return _item(value)


def _item(value: tuple) -> SfItem:
    bare, params = value
    return SfItem(_incoming(bare), _params(params))


def _params(params: dict) -> tuple[tuple[str, Any], ...]:
    return tuple((key, _incoming(value)) for key, value in params.items())


def _incoming(value: Any) -> Any:
    # RFC 8941 only: the signature fields have no use for RFC 9651's dates and display strings,
    # and a value we cannot serialize back the same way would break the signature base.
    if isinstance(value, http_sf.Token):
        return Token(str(value))
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | str | bytes) and not isinstance(value, http_sf.DisplayString):
        return value
    raise ValueError(f"unsupported structured field value {value!r}")


def _outgoing(value: Any) -> Any:
    if isinstance(value, Token):
        return http_sf.Token(str(value))
    if isinstance(value, float):
        return Decimal(f"{value:.3f}")
    if isinstance(value, str) and not all(" " <= c <= "~" for c in value):
        raise ValueError("sf-string must be printable ASCII")
    return value


def _outgoing_params(params: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {key: _outgoing(value) for key, value in params}
