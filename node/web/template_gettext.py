"""Jinja's newstyle gettext (`_()`, `{% trans %}`), with each message's text kept.

A page calls `_()` some fifty times (the menu, labels, headings, table cells). Jinja's own
version looks the message up, wraps it in Markup and formats it with `%` at every call: a
fifth of the time the home page took to render. The catalogue does not change while the
process runs, so a message without variables is worked out once and the same text returned
after that, as is a plural message with only its count. With other variables it does what
Jinja does, one call layer less. In HTML templates a literal `_("...")` does not even make a
call: `LiteralMessages` has it read from a dict of kept texts.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator

import jinja2
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.runtime import Context
from markupsafe import Markup

# Messages are literals in the templates, a few hundred; the bound only guards the odd
# `_(variable)`.
MAX_KEPT = 4096
# The global that holds the texts of literal messages (see LiteralMessages).
TEXTS = "_text"


def install(env: jinja2.Environment, translations: _gettext.NullTranslations) -> None:
    """Install the catalogue as `install_gettext_translations(newstyle=True)` does, then
    replace gettext and ngettext (and the `_` alias) by the kept versions."""
    env.install_gettext_translations(translations, newstyle=True)
    lookup = translations.gettext
    plural_lookup = translations.ngettext
    kept: dict[tuple[bool, str], str] = {}

    def marked(text: str, autoescape: bool) -> str:
        # The catalogue is the project's own text, trusted as Jinja trusts it; the variables
        # formatted into it are escaped by Markup's `%`.
        return Markup(text) if autoescape else text  # noqa: S704 - our own catalogue

    @pass_context
    def gettext(context: Context, message: str, /, **variables: object) -> str:
        autoescape = context.eval_ctx.autoescape
        if not variables:
            text = kept.get((autoescape, message))
            if text is None:
                # Jinja formats even without variables ("100%%" becomes "100%"): so here.
                text = marked(lookup(message), autoescape) % {}
                if len(kept) < MAX_KEPT:
                    kept[(autoescape, message)] = text
            return text
        return marked(lookup(message), autoescape) % variables

    kept_counts: dict[tuple[bool, str, str, object], str] = {}

    @pass_context
    def ngettext(
        context: Context, singular: str, plural: str, num: int, /, **variables: object
    ) -> str:
        autoescape = context.eval_ctx.autoescape
        if not variables and type(num) is int:
            # "12 inwoners steunen dit" on every card of a list: a count's text is kept too.
            key = (autoescape, singular, plural, num)
            text = kept_counts.get(key)
            if text is None:
                text = marked(plural_lookup(singular, plural, num), autoescape) % {"num": num}
                if len(kept_counts) < MAX_KEPT:
                    kept_counts[key] = text
            return text
        variables.setdefault("num", num)
        return marked(plural_lookup(singular, plural, num), autoescape) % variables

    class Texts(dict):
        """The text of each literal message, worked out at its first use."""

        def __missing__(self, message: str) -> str:
            text = marked(lookup(message), True) % {}
            self[message] = text
            return text

    env.globals.update(gettext=gettext, ngettext=ngettext, _=gettext, **{TEXTS: Texts()})


class LiteralMessages(Extension):
    """`_("Zoeken")` in an escaped (HTML) template reads `_text["Zoeken"]` instead.

    A call from a template goes through Jinja's `Context.call`, which checks the callable
    for context arguments every time: with fifty messages on every page that was a good part
    of the menu, footer and labels. Looking the text up in a dict gives the same Markup
    without a call. Only the exact form `_("literal")` is rewritten, in templates that are
    escaped (mail texts keep plain `_()`, which gives plain strings there); messages with
    variables, ngettext and `{% trans %}` are left as they are. Babel extracts the messages
    from the template source, so `make messages` sees them as before.
    """

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        autoescape = self.environment.autoescape
        if callable(autoescape):
            autoescape = autoescape(stream.name)
        tokens = list(stream)
        if not autoescape:
            yield from tokens
            return
        index = 0
        while index < len(tokens):
            token = tokens[index]
            window = tokens[index : index + 4]
            if (
                token.type == "name"
                and token.value == "_"
                and [t.type for t in window] == ["name", "lparen", "string", "rparen"]
                and (index == 0 or tokens[index - 1].type != "dot")
            ):
                line = token.lineno
                yield Token(line, "name", TEXTS)
                yield Token(line, "lbracket", "[")
                yield window[2]
                yield Token(line, "rbracket", "]")
                index += 4
                continue
            yield token
            index += 1
