"""Help articles as YAML, for the demo data. Importing is idempotent: articles are matched by
(desk key, slug) and updated in place; nothing is deleted."""

from pathlib import Path

import yaml
from django.db import transaction

from tickets.models import ServiceDesk

from .models import Article

DEMO_ARTICLES = Path(__file__).with_name("demo_articles.yaml")

_TEXTS = ("topic", "topic_es", "title", "title_es", "summary", "summary_es", "body", "body_es")


class ArticlesFileError(ValueError):
    pass


def articles_load_file(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict) or data.get("version") != 1:
        raise ArticlesFileError(f"{path}: not a version 1 articles file")
    return data


@transaction.atomic
def articles_import(*, data: dict) -> int:
    """Create or update every article whose desk exists; returns how many it touched."""
    desks = {desk.key: desk for desk in ServiceDesk.objects.all()}
    count = 0
    for position, row in enumerate(data.get("articles", [])):
        desk = desks.get(row["desk"])
        if desk is None:
            # The catalogue decides which desks exist; an article for another one waits for it.
            continue
        Article.objects.update_or_create(
            desk=desk,
            slug=row["slug"],
            defaults={
                **{field: (row.get(field) or "").strip() for field in _TEXTS},
                "position": row.get("position", position),
                "is_published": row.get("is_published", True),
            },
        )
        count += 1
    return count
