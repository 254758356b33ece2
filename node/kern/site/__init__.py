"""The site itself: the home page, about, search, the house style, and the beheer pages that
keep the site (its texts, the dashboard, outgoing mail, the menu)."""
