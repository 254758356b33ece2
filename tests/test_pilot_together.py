"""Working together both ways, in the real pilot: `bloei pilot` with its three servers
(gemeente, Beesd, Heukelum) on 127.0.0.1 and a real SMTP server beside them.

One journey over HTTP, as the people do it:

1. gemeente staff sign in with the password the pilot prints, add two colleagues; one
   chooses a mail at once for the kernen's answers, the other the daily mail; the first
   reacts on a Beesd thema and on a Beesd project from the kern's page;
2. Beesd's beheer answers both from its "Gemeente" page; the gemeente shows both answers
   in their threads and the conversations' state, the work list lists them, the mail at
   once reaches the SMTP server with a link to where it is handled, and the daily mail lists
   both. The servers make the daily mail once an hour (the first run at start, before
   anything happened), so the test runs it as a host's timer does: `bloei worker --once`
   on the gemeente's data folder, a real process of its own;
3. a resident subscribes on Beesd, confirms with the link in the mail, and unsubscribes with
   one click (RFC 8058: the POST a mail program sends to the List-Unsubscribe address of
   that mail);
4. a partner Beesd's beheer adds shows on Beesd's /partners and, with the sample's partners,
   on the gemeente's /partners;
5. a resident evaluates a past Beesd meeting and beheer writes a look back when a project
   ends; both reach the gemeente's Inzicht. Evaluation figures travel with the meeting:
   the kern publishes them after half an hour without new answers (tested in process in
   tests/test_learning.py) or with the next change of the meeting, here the verslag that
   beheer adds to after the meeting;
6. the gemeente's overview lists the 26 kernen of West Betuwe and draws them on its map.

Mail is set up as a host may do it, with BLOEI_SMTP_* variables the three servers inherit
from the pilot (docs/settings.md). Every wait polls until something is there, bounded by a
limit for a loaded machine; none is a speed check.
"""

from __future__ import annotations

import contextlib
import email.message
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

import httpx
import pytest

from tests.markup import field_value, link_targets, select, select_one, text_of
from tests.pilot_helpers import BLOEI, ROOT, Pilot, free_ports
from tests.test_mailer import SmtpServer

pytestmark = pytest.mark.processes

# A limit for a loaded machine: each wait ends as soon as what it waits for is there.
WAIT = 60.0
MAIL_FROM = "noreply@bloei.test"
ANNE = "anne@westbetuwe.test"
BRAM = "bram@westbetuwe.test"
RESIDENT = "marieke@example.nl"
NEW_PASSWORD = "een-lang-wachtwoord-voor-de-pilot"
SVG = "{http://www.w3.org/2000/svg}"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
CONFIRM_RE = re.compile(r"https?://\S+(/volgen/bevestigen/\S+)")
UNSUBSCRIBE_RE = re.compile(r"^<(http://[^>]+/afmelden/[^>]+)>$")

THEMA = "Verkeer en vervoer"
PROJECT = "Levensloopbestendig wonen aan de Kerkweg"
ENDING = "AED dag en nacht bereikbaar"
MEETING = "Fietstocht langs de oversteekplekken"
REACTIE = {
    THEMA: "Wij willen de snelheid op de Dorpsstraat laten meten. Welke plek kiest u?",
    PROJECT: "Er is grond aan de Kerkweg in beeld. Wilt u de wensen van de senioren sturen?",
}
ANSWER = {
    THEMA: "Meet bij de basisschool, daar rijden ze het hardst.",
    PROJECT: "Ja, de enquête met 80 reacties komt deze week naar u toe.",
}
LESSON = "Begin de inzameling bij de bakker: daar komt iedereen."


def wait_until(check: Callable[[], object], what: str, timeout: float = WAIT) -> object:
    """Poll `check` until it returns something true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.1)


def body(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def mails_to(smtp: SmtpServer, address: str) -> list[email.message.EmailMessage]:
    with smtp.handler.lock:
        return [m for m in smtp.messages if m["To"] == address]


def mail_to(smtp: SmtpServer, address: str, subject: str) -> email.message.EmailMessage:
    """The first mail to `address` whose subject holds `subject`, once it arrived."""

    def found():
        return next((m for m in mails_to(smtp, address) if subject in m["Subject"]), None)

    return wait_until(found, f"a mail to {address} about {subject!r}")


def csrf_of(http: httpx.Client, path: str) -> str:
    page = http.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return CSRF_RE.search(page.text).group(1)


def sign_in(url: str, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=url, timeout=30)
    signed_in = http.post("/beheer/inloggen", data={"username": username, "password": password})
    if signed_in.status_code != 303:
        http.close()
    assert signed_in.status_code == 303, signed_in.text
    return http


def add_colleague(admin: httpx.Client, username: str, address: str) -> str:
    """A gemeente beheerder adds a medewerker; the page shows the first password once."""
    form = {
        "csrf": csrf_of(admin, "/beheer/gebruikers/nieuw"),
        "username": username,
        "display_name": username.capitalize(),
        "email": address,
        "role": "medewerker",
    }
    added = admin.post("/beheer/gebruikers/nieuw", data=form)
    assert added.status_code == 200, added.text
    return text_of(added.text, "code")


def first_sign_in(url: str, username: str, password: str) -> httpx.Client:
    """A new colleague signs in and chooses a password of their own first."""
    http = sign_in(url, username, password)
    form = {
        "csrf": csrf_of(http, "/beheer/wachtwoord"),
        "current": password,
        "new": NEW_PASSWORD,
        "repeat": NEW_PASSWORD,
    }
    changed = http.post("/beheer/wachtwoord", data=form)
    assert changed.status_code == 303, changed.text
    return http


def choose_notices(http: httpx.Client, **modes: str) -> None:
    form = {"csrf": csrf_of(http, "/beheer/account/meldingen"), **modes}
    chosen = http.post("/beheer/account/meldingen", data=form)
    assert chosen.status_code == 303, chosen.text
    assert chosen.headers["location"] == "/beheer/account/meldingen#melding"
    page = http.get("/beheer/account/meldingen").text
    for topic, mode in modes.items():
        assert select(page, f'input[name="{topic}"][value="{mode}"][checked]'), topic


def link_named(html: str, css: str, name: str) -> str:
    """The one link matching `css` whose text (with its screen reader part) names `name`."""
    found = {str(a["href"]) for a in select(html, css) if text_of(a).endswith(name)}
    assert len(found) == 1, (css, name, found)
    return found.pop()


def figure_row(gemeente: str, figure: str, kern: str) -> dict:
    rows = httpx.get(f"{gemeente}/inzicht/{figure}.json", timeout=30).json()["rijen"]
    return next(row for row in rows if row["kern"] == kern)


@dataclass
class People:
    """Everyone in the journey, each with their own browser (cookies kept per client)."""

    gemeente: str
    beesd: str
    smtp: SmtpServer
    admin: httpx.Client  # the gemeente's beheerder, with the password the pilot printed
    anne: httpx.Client  # gemeente staff: the kernen's answers by mail at once
    bram: httpx.Client  # gemeente staff: the kernen's answers in the daily mail
    kern: httpx.Client  # Beesd's beheer
    resident: httpx.Client  # someone living in Beesd, without an account


def test_working_together_both_ways_in_the_pilot(tmp_path):
    smtp = SmtpServer().start()
    mail = {
        "BLOEI_SMTP_HOST": "127.0.0.1",
        "BLOEI_SMTP_PORT": str(smtp.port),
        "BLOEI_SMTP_FROM": MAIL_FROM,
        "BLOEI_SMTP_STARTTLS": "false",
    }
    data = tmp_path / "pilot-data"
    ports = free_ports(3)
    gemeente, beesd, _heukelum = (f"http://127.0.0.1:{port}" for port in ports)
    pilot = Pilot(data, ports, fresh=True, env=mail)
    try:
        pilot.wait_until_ready()
        passwords = pilot.passwords()
        with contextlib.ExitStack() as clients:

            def keep(http: httpx.Client) -> httpx.Client:
                return clients.enter_context(contextlib.closing(http))

            admin = keep(sign_in(gemeente, "beheer", passwords[gemeente]))
            anne = keep(first_sign_in(gemeente, "anne", add_colleague(admin, "anne", ANNE)))
            bram = keep(first_sign_in(gemeente, "bram", add_colleague(admin, "bram", BRAM)))
            kern = keep(sign_in(beesd, "beheer", passwords[beesd]))
            resident = keep(httpx.Client(base_url=beesd, timeout=30))
            people = People(gemeente, beesd, smtp, admin, anne, bram, kern, resident)

            about = staff_react(people)
            kern_answers(people)
            gemeente_shows_the_answers(people, about)
            daily_mail(people, data / "gemeente", mail)
            resident_follows_and_unsubscribes(people)
            partners_on_both_sides(people)
            evaluation_and_look_back_on_inzicht(people)
            overview_of_26_kernen(people)
        assert pilot.interrupt() == 0
    finally:
        pilot.kill()
        smtp.stop()


def staff_react(people: People) -> dict[str, str]:
    """Anne chooses her mail, finds Beesd on the overview and reacts on a thema and a
    project from the kern's page; returns the id of each."""
    choose_notices(people.anne, antwoorden="direct", projecten="geen", gesprekken="geen")
    choose_notices(people.bram, antwoorden="dagelijks", projecten="geen", gesprekken="geen")
    anne = people.anne
    kern_page = anne.get(link_named(anne.get("/").text, ".bloei-places__list a", "Beesd")).text
    about = {}
    for name in (THEMA, PROJECT):
        form_path = link_named(kern_page, 'a[href^="/beheer/reactie?op="]', f"op {name}")
        about[name] = unquote(form_path.split("?op=", 1)[1])
        sent = anne.post(form_path, data={"csrf": csrf_of(anne, form_path), "text": REACTIE[name]})
        assert sent.status_code == 303, sent.text
    assert about[THEMA].startswith(f"{people.beesd}/agenda/themas/")
    assert about[PROJECT].startswith(f"{people.beesd}/projecten/")
    return about


def kern_answers(people: People) -> None:
    """Beesd's beheer sees both reacties on its Gemeente page and answers each."""
    kern = people.kern

    def both_arrived() -> str | None:
        page = kern.get("/beheer/gemeente").text
        return page if all(text in page for text in REACTIE.values()) else None

    conversations = wait_until(both_arrived, "Beesd to receive both reacties")
    for name in (THEMA, PROJECT):
        [section] = [s for s in select(conversations, "section") if REACTIE[name] in text_of(s)]
        assert text_of(section, "h2") == name
        assert "Wacht op de kern" in text_of(section)
        [answer_path] = link_targets(section, 'a[href^="/beheer/gemeente/antwoord"]')
        form = {"csrf": csrf_of(kern, answer_path), "text": ANSWER[name]}
        answered = kern.post(answer_path, data=form)
        assert answered.status_code == 303, answered.text
        assert answered.headers["location"] == "/beheer/gemeente#melding"


def gemeente_shows_the_answers(people: People, about: dict[str, str]) -> None:
    """The threads, the conversations' state on the kern's page, the work list, and Anne's
    mail at once with the link to where she answers."""
    anne = people.anne
    for name in (THEMA, PROJECT):
        thread = f"/beheer/reactie?op={quote(about[name], safe='')}"

        def answer_shown(thread=thread, name=name) -> str | None:
            page = anne.get(thread).text
            return page if ANSWER[name] in page else None

        page = wait_until(answer_shown, f"the gemeente to show Beesd's answer on {name}")
        assert REACTIE[name] in page and "Wacht op de gemeente" in page
    kern_page = anne.get(link_named(anne.get("/").text, ".bloei-places__list a", "Beesd")).text
    states = notes_beside(kern_page, 'a[href^="/beheer/reactie?op="]')
    assert states[THEMA] == states[PROJECT] == "(gesprek: wacht op de gemeente)"

    work_list = anne.get("/beheer/werklijst").text
    assert "gesprekken wachten op de gemeente." in work_list
    waiting = {
        text_of(row, "th a"): [unquote(a) for a in link_targets(row, 'a[href^="/beheer/reactie"]')]
        for row in select(work_list, "section tbody tr")
    }
    for name in (THEMA, PROJECT):
        assert waiting[name] == [f"/beheer/reactie?op={about[name]}"]

    for name in (THEMA, PROJECT):
        text = body(mail_to(people.smtp, ANNE, f"Beesd antwoordde over {name}"))
        assert ANSWER[name] in text
        link = f"{people.gemeente}/beheer/reactie?op={quote(about[name], safe='')}"
        assert link in text
        opened = anne.get(link)
        assert opened.status_code == 200 and ANSWER[name] in opened.text
    assert all("antwoordde" not in m["Subject"] for m in mails_to(people.smtp, BRAM))


def daily_mail(people: People, folder: Path, mail: dict[str, str]) -> None:
    """Bram's daily mail lists both answers. The server makes it once an hour (first at its
    start), so the test runs the worker once, as a host's timer does."""
    ran = subprocess.run(
        [BLOEI, "worker", "--once", "--dev", "--data", str(folder)],
        cwd=ROOT,
        env={**os.environ, **mail},
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    digest = body(mail_to(people.smtp, BRAM, "nieuwe meldingen van Gemeente West Betuwe"))
    for name in (THEMA, PROJECT):
        assert f"Beesd antwoordde over {name}" in digest
    assert digest.count(f"{people.gemeente}/beheer/reactie?op=") == 2


def resident_follows_and_unsubscribes(people: People) -> None:
    resident, kern = people.resident, people.kern
    assert resident.get("/volgen").status_code == 200
    follow = {
        "volgen-email": RESIDENT,
        "volgen-topic": "nieuws",
        "volgen-frequency": "direct",
        "volgen-project": "",
    }
    asked = resident.post("/volgen", data=follow)
    assert asked.status_code == 303 and asked.headers["location"].endswith("#melding")
    confirmation = mail_to(people.smtp, RESIDENT, "Bevestig")
    confirm_path = CONFIRM_RE.search(body(confirmation)).group(1)
    assert "Ja, ik wil dit volgen" in resident.get(confirm_path).text
    confirmed = resident.post(confirm_path)
    assert confirmed.status_code == 200 and "U volgt nu" in confirmed.text
    assert RESIDENT in kern.get("/beheer/volgers").text

    # The mail program's POST to the mail's List-Unsubscribe address: no cookie, no token,
    # from another site, no page in between.
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = UNSUBSCRIBE_RE.match(confirmation["List-Unsubscribe"].strip()).group(1)
    gone = httpx.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://mail.example.org",
        },
        timeout=30,
    )
    assert gone.status_code == 200 and "U bent afgemeld" in gone.text
    assert RESIDENT not in kern.get("/beheer/volgers").text


def partners_on_both_sides(people: People) -> None:
    """A partner Beesd's beheer adds, with the sample's partners, on both /partners pages."""
    kern = people.kern
    partner = {
        "csrf": csrf_of(kern, "/beheer/partners/nieuw"),
        "name": "Voetbalvereniging Beesd",
        "kind": "vereniging",
        "description": "Voetbal voor jong en oud.",
        "website": "",
        "contact": "",
    }
    added = kern.post("/beheer/partners/nieuw", data=partner)
    assert added.status_code == 303 and added.headers["location"] == "/beheer/partners#melding"
    names = ["Voetbalvereniging Beesd", "Sportverenigingen Beesd", "De basisschool"]
    own = people.resident.get("/partners").text
    assert all(name in own for name in names)

    def at_gemeente() -> bool:
        page = httpx.get(f"{people.gemeente}/partners", timeout=30).text
        return all(name in page for name in names)

    wait_until(at_gemeente, "Beesd's partners on the gemeente's /partners")


def evaluation_and_look_back_on_inzicht(people: People) -> None:
    """A resident rates a past meeting; beheer adds to its verslag, ends a project and looks
    back on it; the gemeente's Inzicht counts both and shows the lesson."""
    resident, kern, gemeente = people.resident, people.kern, people.gemeente
    # The sample's evaluation figures are the last thing in Beesd's outbox: once they are at
    # the gemeente, its catching up with the sample is done and these are the figures before.
    wait_until(lambda: figure_row(gemeente, "evaluaties", "Beesd")["antwoorden"], "the sample")
    evaluated = figure_row(gemeente, "evaluaties", "Beesd")
    looked_back = figure_row(gemeente, "terugblikken", "Beesd")

    meetings = resident.get("/bijeenkomsten").text
    meeting_path = link_named(meetings, 'a[href^="/bijeenkomsten/"]:not([href*="#"])', MEETING)
    assert select(resident.get(meeting_path).text, '#evaluatie input[name="score"]')
    rated = resident.post(
        f"{meeting_path}/evaluatie",
        data={"score": "4", "went_well": "Goed uitgezet.", "could_be_better": "", "website": ""},
    )
    assert rated.status_code == 303 and rated.headers["location"].startswith(meeting_path)

    beheer_meetings = kern.get("/beheer/bijeenkomsten").text
    answers = link_named(beheer_meetings, 'a[href$="/evaluaties"]', MEETING)
    assert "Goed uitgezet." in kern.get(answers).text
    minutes_path = link_named(beheer_meetings, 'a[href$="/verslag"]', MEETING)
    minutes_page = kern.get(minutes_path).text
    minutes = field_value(minutes_page, "minutes") or ""
    form = {
        "csrf": CSRF_RE.search(minutes_page).group(1),
        "minutes": minutes + "\n\nDe foto's van de tocht staan bij het project.",
    }
    written = kern.post(minutes_path, data=form)
    assert written.status_code == 303, written.text

    phase_path = link_named(kern.get("/beheer/projecten").text, 'a[href$="/fase"]', ENDING)
    form = {"csrf": csrf_of(kern, phase_path), "phase": "afgerond", "note": "De AED hangt."}
    ended = kern.post(phase_path, data=form)
    assert ended.status_code == 303, ended.text
    reflection_path = phase_path.removesuffix("/fase") + "/terugblik"
    form = {
        "csrf": csrf_of(kern, reflection_path),
        "what_worked": "Iedereen gaf een paar euro; het dorpshuis gaf de plek.",
        "learned": LESSON,
        "ladder_reached": "coproduceren",
    }
    written = kern.post(reflection_path, data=form)
    assert written.status_code == 303, written.text

    def both_counted() -> bool:
        evaluations = figure_row(gemeente, "evaluaties", "Beesd")
        reflections = figure_row(gemeente, "terugblikken", "Beesd")
        return (
            evaluations["antwoorden"] == evaluated["antwoorden"] + 1
            and evaluations["bijeenkomsten"] == evaluated["bijeenkomsten"] + 1
            and reflections["metTerugblik"] == looked_back["metTerugblik"] + 1
        )

    wait_until(both_counted, "the evaluation and the look back on the gemeente's Inzicht")
    insight = httpx.get(f"{gemeente}/inzicht", timeout=30)
    assert insight.status_code == 200 and LESSON in insight.text


def overview_of_26_kernen(people: People) -> None:
    overview = httpx.get(f"{people.gemeente}/", timeout=30).text
    rows = {
        text_of(select(tr, "th")[0]): [text_of(td) for td in select(tr, "td")]
        for tr in select(overview, ".bloei-places__list tbody tr")
    }
    assert len(rows) == 26
    assert rows["Beesd"][-1] == rows["Heukelum"][-1] == "Pilot"
    assert rows["Geldermalsen"][-1] == "Nog niet"
    svg = ET.fromstring(str(select_one(overview, "svg.bloei-map")))  # noqa: S314 - our own page
    dots = {group.find(f"{SVG}title").text for group in svg.findall(f"{SVG}g")}
    assert len(dots) == 26 and {"Beesd", "Heukelum", "Geldermalsen"} <= dots


def notes_beside(html: str, css: str) -> dict[str, str]:
    """Per "Reageren op ..." link matching `css`, the muted note right after it."""
    found = {}
    for link in select(html, css):
        note = link.find_next_sibling("span", class_="bloei-muted")
        found[text_of(link).removeprefix("Reageren op ")] = text_of(note) if note else ""
    return found
