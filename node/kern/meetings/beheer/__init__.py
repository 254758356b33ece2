"""Beheer of bijeenkomsten: plan, change, move, cancel, series, the verslag, and who comes.

Every endpoint follows themas.py: GET shows the form; POST checks the CSRF token, then the
fields, shows the form again with everything kept and status 400 when something is wrong,
or writes through the data layer (event, audit line and mails in one transaction) and
redirects.

- `forms.py`: the fields and forms for planning, editing, moving, cancelling and series.
- `common.py`: what every page here shares: rendering, the redirect, the meeting or 404.
- `planning.py`: the list, a new bijeenkomst, and editing one.
- `series.py`: planning a series of bijeenkomsten at once.
- `changes.py`: moving, cancelling and removing a bijeenkomst.
- `minutes.py`: the verslag, with decisions that move linked projects to another phase.
- `attendees.py`: who has signed up, on screen and as a list to print.
"""
