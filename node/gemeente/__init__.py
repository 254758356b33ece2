"""The gemeente role: one aggregator that follows every kern and shows them side by side.

Modules, one job each:

    schema       the aggregator's tables (one Migrations set)
    labels       Dutch labels for the gemeente's own states (kern states, refusals); the values
                 kernen send are labelled by node/vocabulary.py
    identity     the gemeente's own actor: an Organization, its routes and keys
    kernen       adding and following kernen; their state and roll-out phase
    stopping     stopping to follow a kern: the Undo, and forgetting its data here
    proofcheck   checking an activity's integrity proof with the kern's Ed25519 key
    ingest       applying verified activities to the read model, nothing half-applied
    readmodel    the projections ingest writes: objects, projects, thema's, meetings
    pull         outbox catch-up from the last known position, page by page
    handlers     the inbox's handler table: content only from followed kernen
    runtime      the federation objects at run time: inbox, delivery and pull jobs
    queries      reading the read model for the pages and the API
    categories   which broad thema (verkeer, wonen, ...) a kern's thema is about
    reactions    answering the kernen: reacties and gemeenteberichten, and their trail
    insight      the figures for the council (tables), drawn by charts (server-side SVG)

    The web side: pages (overview, kern, projects, thema's, calendar), calendar_feed
    (iCalendar), insight_pages (charts, CSV, JSON), api and openapi (/api/v1), beheer
    (kernen volgen), stop_pages (stop met volgen), answer_pages (reacties, berichten), staff
    (accounts), actor_pages (WebFinger, NodeInfo, actor, inbox, outbox), routes (every
    address in one list).

    wiring       what node/app.py needs for this role: migrations, routes, menu, jobs

The gemeente never imports `node.kern` (the roles share `node.web` and the shared modules
beside it, such as `node.search`, so both roles search the same way); tests/test_roles_apart.py
holds that.
"""
