"""A meeting place's address, typed by the group as one line, as a schema.org PostalAddress.

Mobilizon reads a Place's `address` only as a PostalAddress object (streetAddress, postalCode,
addressLocality, addressRegion, addressCountry) and Gancio needs at least a street or a
locality in it. Groups type addresses the Dutch way ("Dorpsstraat 1, 4153 AB Beesd"), so the
parts are found by the Dutch postcode; what cannot be split stays the street. A place without
any address is in the kern's own village, which becomes its locality.
"""

from __future__ import annotations

import re
from typing import Any

# A Dutch postcode ("4153 AB" or "4153AB"), then the town.
_POSTCODE = re.compile(r"\b([1-9]\d{3})\s?([A-Za-z]{2})\b\s*(.*)$")
COUNTRY = "NL"


def postal_address(line: str | None, village: str) -> dict[str, Any]:
    """The PostalAddress for an address line; `village` is the locality when none is given."""
    parts = [part.strip() for part in (line or "").split(",") if part.strip()]
    street: list[str] = []
    postcode = ""
    locality = ""
    for part in parts:
        found = _POSTCODE.search(part)
        if found and not postcode:
            before = part[: found.start()].strip()
            if before:
                street.append(before)
            postcode = f"{found.group(1)} {found.group(2).upper()}"
            locality = found.group(3).strip()
        elif postcode and not locality:
            locality = part
        else:
            street.append(part)
    if not postcode and len(street) > 1:
        # "Dorpsstraat 1, Beesd": the last part is the town.
        locality = street.pop()
    address: dict[str, Any] = {"type": "PostalAddress"}
    if street:
        address["streetAddress"] = ", ".join(street)
    if postcode:
        address["postalCode"] = postcode
    address["addressLocality"] = locality or village
    address["addressCountry"] = COUNTRY
    return address
