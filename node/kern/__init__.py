"""The kern role: the village's own site with its kernagenda, projects and beheer.

One package per feature, each with its data functions (`model`), public `pages`, `beheer`
pages and a `routes()`:

    agenda        the kernagenda: thema's and the versions the group publishes
    projects      projects and their phases, updates, photos, support and volunteers
    meetings      bijeenkomsten, RSVPs and the waiting list, calendars, posters
    ideas         residents' ideas, moderated by the group
    news          the group's berichten, scheduled or not
    site          home, about, search, the house style, dashboard, site texts, mail, menu
    privacy       residents' contact details: who sees them, retention, export, erasure
    conversation  the gemeente's reacties and berichten, and the kern's answers
    federation    the kern as an actor: publishing, receiving, its addresses, beheer
    moving        export and import at a new address, and the old address sending people on
    api           the open-data API, its OpenAPI document, the Atom feed
    sample        sample data, one TOML file per kern, and its loader

Shared by the features: schema (the kern's tables), changes (events), happenings and
mail_effects (what happened, and the mails about it), rendering (what every page template
reads), fields (form fields with Dutch messages), supporting and address_counts (what
residents do without an account), search (the kern's index).

    routes        every address, assembled from the features' routes()
    wiring        what node/app.py needs for this role, the same shape as the gemeente's

The kern never imports `node.gemeente`; `make test` checks the arrows (docs/architecture.md).
"""
