"""The kept gettext of the templates says exactly what Jinja's own newstyle gettext says."""

from __future__ import annotations

import gettext

import jinja2

from node.web import i18n, template_gettext
from node.web.templating import create_environment

SOURCES = {
    "page.html": (
        "{{ _('Projecten') }}|{{ _('Projecten') }}|{{ _('100%% klaar') }}|"
        "{{ _('Pagina %(n)s van %(total)s', n=2, total=3) }}|{{ _('Hallo %(naam)s', naam=who) }}|"
        "{{ ngettext('%(num)s project', '%(num)s projecten', count) }}|"
        "{% trans %}Welkom{% endtrans %}|{% trans n=count %}{{ n }} keer{% endtrans %}"
    ),
    "mail.txt": "{{ _('Hallo %(naam)s', naam=who) }}|{{ _('100%% klaar') }}|{{ _('Projecten') }}",
}


def environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    def make() -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.DictLoader(SOURCES),
            autoescape=jinja2.select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )

    jinjas, kept = make(), make()
    jinjas.install_gettext_translations(i18n.translations(), newstyle=True)
    template_gettext.install(kept, i18n.translations())
    return jinjas, kept


def test_same_text_as_jinja_with_and_without_escaping():
    jinjas, kept = environments()
    for name in SOURCES:
        for values in (
            {"who": "<b>Ans</b>", "count": 1},
            {"who": "Jan & Piet", "count": 3},
            {"who": "Jan & Piet", "count": 1},
            {"who": "<i>", "count": "<b>7</b>"},
        ):
            expected = jinjas.get_template(name).render(values)
            # Twice: the second time the texts without variables come from what was kept.
            assert kept.get_template(name).render(values) == expected
            assert kept.get_template(name).render(values) == expected
    assert "&lt;b&gt;Ans&lt;/b&gt;" in kept.get_template("page.html").render(
        who="<b>Ans</b>", count=1
    )
    assert "<b>Ans</b>" in kept.get_template("mail.txt").render(who="<b>Ans</b>", count=1)


def test_translations_are_used():
    class Dutch(gettext.NullTranslations):
        def gettext(self, message):
            return {"Projecten": "Projects"}.get(message, message)

    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    template_gettext.install(env, Dutch())
    assert env.from_string("{{ _('Projecten') }} {{ _('Projecten') }}").render() == (
        "Projects Projects"
    )


def test_site_environment_uses_it():
    env = create_environment()
    assert env.globals["_"] is env.globals["gettext"]
    assert env.from_string("{{ _('Vorige pagina') }}").render() == "Vorige pagina"


def test_literal_messages_are_read_from_a_dict_in_escaped_templates_only():
    sources = {
        "page.html": (
            "{{ _('Zoeken') }}|{{ _('Pagina %(n)s', n=2) }}|{{ _('100%% klaar') }}|"
            "{{ thing._('x') }}|{{ _('Zoeken') ~ who }}|{% set t = _('Home') %}{{ t }}"
        ),
        "mail.txt": "{{ _('Zoeken') ~ who }}",
    }

    def make(extensions: list) -> jinja2.Environment:
        env = jinja2.Environment(
            loader=jinja2.DictLoader(sources),
            autoescape=jinja2.select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n", *extensions],
        )
        return env

    jinjas = make([])
    jinjas.install_gettext_translations(i18n.translations(), newstyle=True)
    kept = make([template_gettext.LiteralMessages])
    template_gettext.install(kept, i18n.translations())
    values = {"who": "<b>", "thing": {"_": lambda text: text.upper()}}
    for name in sources:
        assert kept.get_template(name).render(values) == jinjas.get_template(name).render(values)
    html_code = kept.compile(sources["page.html"], raw=True)
    assert "_text" in html_code and "'Pagina %(n)s'" in html_code
    assert "_text" not in kept.compile(sources["mail.txt"], name="mail.txt", raw=True)
