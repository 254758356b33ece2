"""The suite's own guard: a name outside loopback never resolves in a test."""

from __future__ import annotations

import socket

import httpx
import pytest


def test_a_public_name_does_not_resolve_and_loopback_does():
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("www.w3.org", 443)
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("localhost", 80)


async def test_an_http_client_cannot_reach_out_either():
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get("https://w3id.org/security/v1")
