"""Sign-in under attack: throttling decided before hashing, per account and address, and a
bound on how many Argon2 checks run at once."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from node.web import auth, login_throttle
from node.web.password_gate import PasswordGate, PasswordGateBusy
from tests.conftest import ADMIN_PASSWORD, BASE_URL


def client_from(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL)


class CountingVerifier:
    """Wraps auth.verify_password: how many checks ran, and how many at the same time."""

    def __init__(self, real):
        self.real = real
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.lock = threading.Lock()

    def __call__(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return self.real(password_hash, password)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def verifier(monkeypatch) -> CountingVerifier:
    counting = CountingVerifier(auth.verify_password)
    monkeypatch.setattr(auth, "verify_password", counting)
    return counting


async def test_a_burst_of_wrong_passwords_checks_at_most_the_limit(app, settings, verifier):
    async with client_from(app, "203.0.113.9") as attacker:
        answers = await asyncio.gather(
            *[
                attacker.post("/beheer/inloggen", data={"username": "anna", "password": f"fout{i}"})
                for i in range(40)
            ]
        )
    assert verifier.calls <= settings.login_attempts
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(400) == verifier.calls
    assert statuses.count(429) == 40 - verifier.calls
    assert "te vaak" in next(a.text for a in answers if a.status_code == 429)


async def test_password_checks_run_at_most_two_at_once(app, verifier):
    # Forty different user names from forty addresses: no throttle applies, only the gate.
    clients = [client_from(app, f"198.51.100.{i}") for i in range(40)]
    try:
        answers = await asyncio.gather(
            *[
                http.post("/beheer/inloggen", data={"username": f"naam{i}", "password": "fout"})
                for i, http in enumerate(clients)
            ]
        )
    finally:
        for http in clients:
            await http.aclose()
    assert verifier.most_at_once <= 2
    statuses = {answer.status_code for answer in answers}
    assert statuses <= {400, 429}
    busy = [a for a in answers if a.status_code == 429]
    assert all("veel mensen tegelijk" in a.text for a in busy)
    assert verifier.calls == 40 - len(busy)


async def test_an_attacker_cannot_lock_the_real_user_out(app, settings):
    async with client_from(app, "203.0.113.9") as attacker:
        for _ in range(settings.login_attempts + 3):
            await attacker.post("/beheer/inloggen", data={"username": "anna", "password": "fout"})
        blocked = await attacker.post(
            "/beheer/inloggen", data={"username": "anna", "password": ADMIN_PASSWORD}
        )
        assert blocked.status_code == 429
    async with client_from(app, "192.0.2.20") as anna:
        response = await anna.post(
            "/beheer/inloggen", data={"username": "anna", "password": ADMIN_PASSWORD}
        )
        assert response.status_code == 303
        assert (await anna.get("/beheer")).status_code == 200


async def test_one_address_cannot_try_many_user_names_without_limit(app, settings):
    limit = settings.login_attempts * login_throttle.ADDRESS_FACTOR
    async with client_from(app, "203.0.113.9") as sprayer:
        for i in range(limit):
            answer = await sprayer.post(
                "/beheer/inloggen", data={"username": f"naam{i}", "password": "fout"}
            )
            assert answer.status_code == 400
        answer = await sprayer.post(
            "/beheer/inloggen", data={"username": "nog-een", "password": "fout"}
        )
    assert answer.status_code == 429


async def test_a_right_password_forgets_the_misses_of_that_account_and_address(app, settings):
    async with client_from(app, "192.0.2.20") as anna:
        for _ in range(settings.login_attempts - 1):
            await anna.post("/beheer/inloggen", data={"username": "anna", "password": "fout"})
        ok = await anna.post(
            "/beheer/inloggen", data={"username": "anna", "password": ADMIN_PASSWORD}
        )
        assert ok.status_code == 303
        anna.cookies.clear()
        for _ in range(settings.login_attempts - 1):
            wrong = await anna.post(
                "/beheer/inloggen", data={"username": "anna", "password": "fout"}
            )
            assert wrong.status_code == 400


def test_delays_double_after_the_free_attempts_and_stop_at_the_window():
    policy = login_throttle.Policy(limit=5, window=timedelta(minutes=15))
    delays = [policy.delay(n) for n in range(4, 12)]
    assert delays == [timedelta(minutes=m) for m in (0, 1, 2, 4, 8, 15, 15, 15)]


def test_reserve_makes_each_attempt_after_the_limit_wait_longer(db):
    policy = login_throttle.Policy(limit=3, window=timedelta(minutes=15))
    keys = [("pair:test", policy)]
    start = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

    def at(seconds: float) -> login_throttle.Reservation:
        moment = start + timedelta(seconds=seconds)
        return db.write_quiet(login_throttle.reserve, keys, moment)

    assert [at(0).allowed for _ in range(3)] == [True, True, True]
    refused = at(30)
    assert not refused.allowed and refused.retry_after == timedelta(seconds=30)
    assert at(60).allowed  # one minute after the third
    assert not at(60 + 119).allowed
    assert at(60 + 120).allowed  # two minutes after the fourth
    assert not at(180 + 239).allowed
    assert at(180 + 240).allowed
    # After a quiet window everything is forgotten: no one stays blocked for ever.
    quiet = 420 + 15 * 60 + 1
    assert [at(quiet).allowed for _ in range(3)] == [True, True, True]


async def test_the_gate_refuses_work_beyond_its_workers_and_queue():
    gate = PasswordGate(workers=1, waiting=0)
    started, finish = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        finish.wait(timeout=30)
        return "klaar"

    first = asyncio.ensure_future(gate.run(slow))
    await asyncio.to_thread(started.wait, 30)
    with pytest.raises(PasswordGateBusy):
        await gate.run(lambda: "te veel")
    finish.set()
    assert await first == "klaar"
    assert await gate.run(lambda: "weer ruimte") == "weer ruimte"
