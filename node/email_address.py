"""One rule for e-mail addresses, wherever one is taken in or mailed to.

An address is exactly one plain addr-spec (`naam@voorbeeld.nl`): no display name, no angle
brackets, no quotes, no comma, semicolon or whitespace, so nothing that an SMTP server or a
mail header could read as a second recipient. The syntax is checked by email-validator;
whether the domain receives mail is not looked up (no DNS on a form submission).
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email


def mail_address(value: str) -> str | None:
    """`value` as SMTP should get it (the domain in ASCII), or None if it is not exactly one
    valid address."""
    if not isinstance(value, str):
        return None
    try:
        checked = validate_email(
            value,
            check_deliverability=False,
            # .test is reserved for testing (RFC 6761): never a real resident's address.
            test_environment=True,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_display_name=False,
            allow_domain_literal=False,
        )
    except EmailNotValidError:
        return None
    return checked.ascii_email


def is_email_address(value: str) -> bool:
    """True if `value` is exactly one valid e-mail address."""
    return mail_address(value) is not None
