"""Seeding helpers for tests: content through the same data functions as beheer."""

from __future__ import annotations

from node.kern.agenda import model as agenda
from node.kern.projects import model as projects

THEMA = {
    "title": "Verkeer en vervoer",
    "description": "Te hard rijden op de Dorpsstraat.",
    "priority": "hoog",
    "status": "loopt",
    "actor": "gemeente",
    "actor_other": "",
}

PROJECT = {
    "title": "Veilig oversteken bij de school",
    "summary": "Een zebrapad met verlichting.",
    "description": "Ouders maken zich zorgen.",
    "trekker_name": "Ahmed el Amrani",
    "trekker_consent": True,
    "ladder": "adviseren",
    "needs": ["besluit_gemeente"],
    "budget_requested": 150000,
    "budget_granted": None,
    "budget_source": "",
    "start_date": "2026-01-10",
    "target_date": None,
}


def add_thema(db, settings, **changes) -> str:
    return db.write(agenda.save_thema, settings, "test", {**THEMA, **changes})


def add_project(db, settings, thema_slugs=(), **changes) -> tuple[int, str]:
    ids = [db.scalar("SELECT id FROM themas WHERE slug = ?", (s,)) for s in thema_slugs]
    slug = db.write(projects.save_project, settings, "test", {**PROJECT, **changes}, ids)
    return db.scalar("SELECT id FROM projects WHERE slug = ?", (slug,)), slug
