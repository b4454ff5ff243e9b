"""Writes of the knowledge base."""

from django.db import transaction

from accounts.models import User

from .models import Article, ArticleFeedback


@transaction.atomic
def article_feedback_record(*, article: Article, user: User, helpful: bool) -> ArticleFeedback:
    """Record one person's "Was this helpful?" answer; answering again replaces it, so each
    person counts once per article."""
    feedback, _created = ArticleFeedback.objects.update_or_create(
        article=article, user=user, defaults={"helpful": helpful}
    )
    return feedback
