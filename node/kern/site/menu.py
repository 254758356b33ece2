"""Beheer of a kern: what the resident group keeps up to date, behind a login."""

from node.web.i18n import _

# (address, label, only for beheerders)
MENU = [
    ("/beheer", _("Overzicht"), False),
    ("/beheer/bijeenkomsten", _("Bijeenkomsten"), False),
    ("/beheer/themas", _("Kernagenda"), False),
    ("/beheer/projecten", _("Projecten"), False),
    ("/beheer/ideeen", _("Ideeën"), False),
    ("/beheer/partners", _("Partners"), False),
    ("/beheer/nieuws", _("Nieuws"), False),
    ("/beheer/volgers", _("Volgers"), False),
    ("/beheer/gemeente", _("Gemeente"), False),
    ("/beheer/handleiding", _("Handleiding"), False),
    ("/beheer/site", _("Over de site"), True),
    ("/beheer/gebruikers", _("Gebruikers"), True),
    ("/beheer/mail", _("Mail"), True),
    ("/beheer/privacy", _("Privacy"), True),
    ("/beheer/federatie", _("Federatie"), True),
    ("/beheer/logboek", _("Logboek"), True),
]
