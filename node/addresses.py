"""IP addresses and networks as the node reads them: in settings and from requests.

The `trusted_proxies` setting (node/settings.py) and the visitor's address behind a proxy
(node/web/client_address.py) follow the same rules, so they live below both.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """The addresses and networks of a setting like "127.0.0.1, ::1, 172.17.0.0/16".

    Raises ValueError naming the entry that is not an IP address or network.
    """
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"{entry!r} is not an IP address or network like 127.0.0.1 or 172.17.0.0/16"
            ) from None
    return tuple(networks)


def ip_address(text: str) -> Address | None:
    """`text` as an IP address, or None if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d: one client, one key.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def address_group(host: str) -> str:
    """What counts as one address for a limit: an IPv4 address, or an IPv6 /64.

    A household gets a whole /64 from its provider and every device picks addresses in it
    at will; counting single IPv6 addresses would give anyone endless fresh ones.
    """
    address = ip_address(host)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address) if address is not None else host


def is_trusted(host: str | None, trusted: Iterable[Network]) -> bool:
    address = ip_address(host or "")
    return address is not None and any(address in network for network in trusted)
