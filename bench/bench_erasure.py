"""What erasure in the signed history costs a kern, on this machine.

Every published Update checks the earlier activities of its object for personal values the
object no longer shows (node/kern/federation/erasure.py), and a withdrawn name or a removed object makes
the kern sign those activities again. This seeds one project with many activities (news
updates, each an Update) and measures, straight through the data functions:

- the time of one more news update, with the check and without it (the check switched off):
  what the check adds to an ordinary change of an object with a long history;
- the time to withdraw the trekker's consent: every earlier activity signed again.

    .venv/bin/python bench/bench_erasure.py [--activities 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from node.app import open_database  # noqa: E402
from node.kern.federation import erasure  # noqa: E402
from node.kern.projects import model as projects  # noqa: E402
from node.settings import create_secret, load_settings, write_config  # noqa: E402

PROJECT = {
    "title": "Veilig oversteken bij de school",
    "summary": "Een zebrapad met verlichting.",
    "description": "Ouders maken zich zorgen over het oversteken bij de basisschool. " * 5,
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
SAMPLES = 20


def update_ms(db, settings, project_id: int) -> float:
    """The median time of one news update, in milliseconds."""
    times = []
    for number in range(SAMPLES):
        start = time.perf_counter()
        db.write(projects.add_update, settings, "bench", project_id, f"Meting {number}", "Tekst")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "beesd"
        folder.mkdir()
        write_config(
            folder,
            {"role": "kern", "name": "Beesd", "slug": "beesd", "public_url": "http://b.test"},
        )
        create_secret(folder)
        settings = load_settings(folder)
        db = open_database(settings)
        slug = db.write(projects.save_project, settings, "bench", PROJECT, [])
        project_id = db.scalar("SELECT id FROM projects WHERE slug = ?", (slug,))
        for number in range(args.activities):
            db.write(projects.add_update, settings, "bench", project_id, f"Nieuws {number}", "Ja")

        with_check = update_ms(db, settings, project_id)
        checking = erasure.redact_history
        erasure.redact_history = lambda *arguments: 0
        without_check = update_ms(db, settings, project_id)
        erasure.redact_history = checking

        rewritten = db.scalar(
            "SELECT count(*) FROM federation_outbox WHERE document LIKE '%Ahmed el Amrani%'"
        )
        start = time.perf_counter()
        values = {**PROJECT, "trekker_consent": False}
        db.write(projects.save_project, settings, "bench", values, [], project_id)
        withdraw = (time.perf_counter() - start) * 1000
        db.close()

    print(f"| measure ({args.activities} earlier activities) | ms |")
    print("| --- | ---: |")
    print(f"| one update, with the check | {with_check:.1f} |")
    print(f"| one update, check switched off | {without_check:.1f} |")
    print(f"| withdraw consent, {rewritten} activities signed again | {withdraw:.0f} |")


if __name__ == "__main__":
    main()
