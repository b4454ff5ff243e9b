"""The knowledge base: ranked search, suggestions while typing, and the article page."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from kb.demo import DEMO_ARTICLES, articles_import, articles_load_file
from kb.models import Article
from kb.selectors import article_get_published, article_search, article_suggest
from tickets.models import ServiceDesk

CCMS_SLUG = "connect-ccms-attendance"
CCMS_URL = reverse("kb:article_detail", args=["child-care-provider", CCMS_SLUG])
SUGGEST_URL = reverse("kb:suggest")


@pytest.fixture
def articles(catalogue):
    articles_import(data=articles_load_file(DEMO_ARTICLES))
    return Article.objects.all()


def slugs(found):
    return [article.slug for article in found]


def test_it_ranks_the_ccms_guide_first_in_english(articles):
    found = article_search(query="attendance CCMS", language="en")
    assert slugs(found)[0] == CCMS_SLUG


def test_it_ranks_the_ccms_guide_first_in_spanish(articles):
    with translation.override("es"):
        found = article_search(query="asistencia", language="es")
        assert slugs(found)[0] == CCMS_SLUG
        assert found[0].localized_title.startswith("Conecte su sistema")


def test_it_requires_every_word_of_a_search(articles):
    assert article_search(query="attendance SFTP", language="en") == []


def test_it_finds_a_spanish_word_for_a_reader_in_english_too(articles):
    assert slugs(article_search(query="contraseña", language="es"))[0] == "reset-password-unlock-account"
    # Nothing in English matches: the Spanish texts answer.
    assert slugs(article_search(query="contraseña", language="en"))[0] == "reset-password-unlock-account"
    assert slugs(article_search(query="ausencias", language="en")) == [CCMS_SLUG]


def test_it_prefers_the_readers_language(articles, monkeypatch):
    english = slugs(article_search(query="firewall", language="en"))
    assert english == ["sftp-connection-checklist"]
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert slugs(article_search(query="ausencias", language="en")) == [CCMS_SLUG]
    assert article_search(query="attendance SFTP", language="en") == []


def test_it_searches_the_english_text_of_an_article_without_spanish(articles):
    Article.objects.filter(slug="sftp-connection-checklist").update(title_es="", summary_es="", body_es="")
    found = article_search(query="firewall", language="es")
    assert slugs(found) == ["sftp-connection-checklist"]


def test_it_limits_a_search_to_one_desk(articles):
    edi = ServiceDesk.objects.get(key="EDI")
    assert article_search(query="attendance CCMS", language="en", desk=edi) == []


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_it_returns_nothing_for_an_empty_query(articles, query):
    assert article_search(query=query, language="en") == []
    assert article_suggest(text=query, language="en") == []


def test_it_suggests_the_ccms_guide_from_a_summary(articles):
    found = article_suggest(text="How do I share attendance from brightwheel?", language="en")
    assert slugs(found)[0] == CCMS_SLUG


def test_it_suggests_nothing_from_short_words_only(articles):
    assert article_suggest(text="is it ok?", language="en") == []


def test_it_ignores_search_syntax_in_a_suggestion(articles):
    found = article_suggest(text='"brightwheel -attendance', language="en")
    assert slugs(found) == [CCMS_SLUG]


def test_it_never_returns_an_unpublished_article(articles, client, customer):
    Article.objects.filter(slug=CCMS_SLUG).update(is_published=False)
    assert CCMS_SLUG not in slugs(article_search(query="attendance CCMS", language="en"))
    assert CCMS_SLUG not in slugs(article_suggest(text="share attendance from brightwheel", language="en"))
    with pytest.raises(Article.DoesNotExist):
        article_get_published(desk_slug="child-care-provider", slug=CCMS_SLUG)
    client.force_login(customer)
    assert client.get(CCMS_URL).status_code == 404


def test_it_searches_by_stems_without_postgresql(articles, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert slugs(article_search(query="attendance CCMS", language="en")) == [CCMS_SLUG]
    assert slugs(article_search(query="asistencia", language="es")) == [CCMS_SLUG]
    assert CCMS_SLUG in slugs(article_suggest(text="share from brightwheel", language="en"))
    assert article_search(query="  ", language="en") == []
    # A stem, not a substring: "attend" is no word of "attendance"'s stem search for "tend".
    assert article_search(query="tend", language="en") == []


# The seed's own words, and other forms of words the articles use: each must find its article
# on PostgreSQL (its dictionaries) and on the embedded database (the Snowball stemmer) alike.
STEM_CASES = [
    ("ausencias", "es", CCMS_SLUG),
    ("ausencia", "es", CCMS_SLUG),
    ("conectar asistencias", "es", CCMS_SLUG),
    ("absence", "en", CCMS_SLUG),
    ("sharing attendances", "en", CCMS_SLUG),
    ("passwords", "en", "reset-password-unlock-account"),
    ("contraseñas", "es", "reset-password-unlock-account"),
    ("firewalls", "en", "sftp-connection-checklist"),
]


@pytest.mark.parametrize("vendor", ["postgresql", "sqlite"])
@pytest.mark.parametrize(("query", "language", "slug"), STEM_CASES)
def test_it_finds_other_forms_of_a_word_on_both_databases(articles, monkeypatch, vendor, query, language, slug):
    assert connection.vendor == "postgresql"
    if vendor == "sqlite":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    with translation.override(language):
        assert slugs(article_search(query=query, language=language))[:1] == [slug]


@pytest.mark.parametrize("query", ["attendance CCMS", "asistencia", "password", "sftp", "brightwheel site"])
def test_it_gives_the_same_results_on_both_databases(articles, monkeypatch, query):
    language = "es" if query == "asistencia" else "en"
    ranked = slugs(article_search(query=query, language=language))
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert set(slugs(article_search(query=query, language=language))) == set(ranked)
    assert ranked


def test_it_keeps_the_stems_up_to_date_when_an_article_is_edited(articles, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    article = Article.objects.get(slug="sftp-connection-checklist")
    assert article_search(query="carrier pigeons", language="en") == []
    article.body += "\n\nWe do not accept files by carrier pigeon."
    article.save()
    assert slugs(article_search(query="carrier pigeons", language="en")) == ["sftp-connection-checklist"]


def test_it_renders_an_article_in_english(articles, client, customer):
    client.force_login(customer)
    response = client.get(CCMS_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1" in page and "Connect your child care management system (CCMS)" in page
    assert reverse("portal:desk_detail", args=["child-care-provider"]) in page
    assert "Data Entry Settings" in page


def test_it_renders_an_article_in_the_users_language(articles, client, customer):
    customer.language = "es"
    customer.save()
    client.force_login(customer)
    page = client.get(CCMS_URL).content.decode()
    assert "Conecte su sistema de gestión de cuidado infantil (CCMS)" in page
    assert "Connect your child care management system" not in page


def test_it_answers_404_for_an_unknown_article(articles, client, customer):
    client.force_login(customer)
    assert client.get(reverse("kb:article_detail", args=["child-care-provider", "nope"])).status_code == 404
    assert client.get(reverse("kb:article_detail", args=["edi-support", CCMS_SLUG])).status_code == 404


def test_it_shows_a_script_in_an_article_body_as_text(articles, client, customer):
    Article.objects.filter(slug=CCMS_SLUG).update(body="Hello <script>alert(1)</script> {{ secret }}")
    client.force_login(customer)
    page = client.get(CCMS_URL).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{ secret }}" in page


def test_it_suggests_articles_as_json(articles, client, customer):
    client.force_login(customer)
    response = client.get(
        SUGGEST_URL, {"q": "How do I share attendance from brightwheel?", "desk": "child-care-provider"}
    )
    assert response.status_code == 200
    first = response.json()["articles"][0]
    assert first["url"] == CCMS_URL
    assert first["title"].startswith("Connect your child care management system")
    assert first["summary"]


def test_it_suggests_in_the_users_language(articles, client, customer):
    customer.language = "es"
    customer.save()
    client.force_login(customer)
    response = client.get(SUGGEST_URL, {"q": "¿Cómo comparto la asistencia desde brightwheel?"})
    assert response.json()["articles"][0]["title"].startswith("Conecte su sistema")


def test_it_suggests_nothing_for_another_or_unknown_desk(articles, client, customer):
    client.force_login(customer)
    text = "share attendance from brightwheel"
    assert client.get(SUGGEST_URL, {"q": text, "desk": "edi-support"}).json() == {"articles": []}
    assert client.get(SUGGEST_URL, {"q": text, "desk": "no-such-desk"}).json() == {"articles": []}
    assert client.get(SUGGEST_URL, {"q": ""}).json() == {"articles": []}


@pytest.mark.parametrize("url", [CCMS_URL, SUGGEST_URL, reverse("kb:index")])
def test_it_sends_an_anonymous_visitor_to_sign_in(articles, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_imports_the_demo_articles_idempotently(catalogue):
    data = articles_load_file(DEMO_ARTICLES)
    first = articles_import(data=data)
    assert first == Article.objects.count() >= 4
    Article.objects.filter(slug=CCMS_SLUG).update(title="Edited by hand")
    assert articles_import(data=data) == first
    assert Article.objects.count() == first
    assert Article.objects.get(slug=CCMS_SLUG).title.startswith("Connect your child care management system")


def test_it_skips_articles_of_an_unknown_desk(catalogue):
    data = {"version": 1, "articles": [{"desk": "NOPE", "slug": "x", "title": "X", "summary": "X", "body": "X"}]}
    assert articles_import(data=data) == 0
    assert not Article.objects.exists()


def test_it_gives_every_demo_article_both_languages(articles):
    for article in articles:
        for field in ("title", "summary", "body"):
            assert getattr(article, field) and getattr(article, f"{field}_es"), (article.slug, field)


def test_it_renders_markdown_headings_lists_links_and_images(articles, client, customer):
    client.force_login(customer)
    page = client.get(CCMS_URL).content.decode()
    assert "<h2>Before you start</h2>" in page
    assert "<ol>" in page and "<li>Make sure your licence number" in page
    assert "<strong>brightwheel</strong>" in page
    assert '<img src="/static/img/kb/data-entry-settings.svg" alt="The Data Entry Settings tab' in page
    assert '<a href="/desks/child-care-provider/" rel="noopener noreferrer nofollow">' in page


@pytest.mark.parametrize(
    ("markdown", "absent", "present"),
    [
        ("[click](javascript:alert(1))", 'href="javascript:', "click"),
        ('<img src=x onerror="alert(1)">', "<img", "&lt;img"),
        ("![x](data:image/png;base64,AAAA)", "data:image", ""),
        ("# Title in the body", "<h1>Title", "<h2>Title in the body</h2>"),
        ('<a href="https://example.org" onclick="steal()">x</a>', "<a href", "&lt;a"),
    ],
)
def test_it_sanitises_what_markdown_lets_through(articles, client, customer, markdown, absent, present):
    Article.objects.filter(slug=CCMS_SLUG).update(body=markdown)
    client.force_login(customer)
    body = client.get(CCMS_URL).content.decode().split('class="prose article-body">')[1].split("</div>")[0]
    assert absent not in body
    assert present in body


def test_it_lists_every_desks_articles_by_topic(articles, client, customer):
    client.force_login(customer)
    response = client.get(reverse("kb:index"))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Child Care Provider Help Desk", "Attendance", "Accounts and access", "EDI Support Desk",
                 "Connections and files", "Reset your password or unlock your account"):  # fmt: skip
        assert text in page, text
    assert CCMS_URL in page
    assert page.index("Attendance") < page.index("Connect your child care management system")


def test_it_lists_one_desks_articles(articles, client, customer):
    client.force_login(customer)
    page = client.get(reverse("kb:desk", args=["edi-support"])).content.decode()
    assert "SFTP connection checklist" in page and CCMS_URL not in page
    assert client.get(reverse("kb:desk", args=["no-such-desk"])).status_code == 404


def test_it_lists_topics_in_the_readers_language(articles, client, customer):
    customer.language = "es"
    customer.save()
    client.force_login(customer)
    page = client.get(reverse("kb:index")).content.decode()
    assert "Asistencia" in page and "Conexiones y archivos" in page


def test_it_shows_a_desks_most_helpful_articles_on_its_page(articles, client, customer, colleague):
    from kb.services import article_feedback_record

    staff = Article.objects.get(slug="add-remove-staff-access")
    article_feedback_record(article=staff, user=colleague, helpful=True)
    client.force_login(customer)
    page = client.get(reverse("portal:desk_detail", args=["child-care-provider"])).content.decode()
    section = page.split('id="top-articles-heading"')[1]
    assert section.index(staff.get_absolute_url()) < section.index(CCMS_URL)
    assert reverse("kb:desk", args=["child-care-provider"]) in section


def test_it_records_one_answer_per_person_and_article(articles, client, customer):
    from kb.models import ArticleFeedback

    url = reverse("kb:article_feedback", args=["child-care-provider", CCMS_SLUG])
    client.force_login(customer)
    response = client.post(url, {"helpful": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("#feedback")
    assert client.post(url, {"helpful": "no"}).status_code == 302
    feedback = ArticleFeedback.objects.get()
    assert (feedback.user, feedback.article.slug, feedback.helpful) == (customer, CCMS_SLUG, False)
    assert 'aria-pressed="true">No<' in client.get(CCMS_URL).content.decode()


@pytest.mark.parametrize("answer", ["", "maybe", "1"])
def test_it_refuses_an_answer_that_is_neither_yes_nor_no(articles, client, customer, answer):
    from kb.models import ArticleFeedback

    client.force_login(customer)
    url = reverse("kb:article_feedback", args=["child-care-provider", CCMS_SLUG])
    assert client.post(url, {"helpful": answer}).status_code == 400
    assert (
        client.post(reverse("kb:article_feedback", args=["edi-support", CCMS_SLUG]), {"helpful": "yes"}).status_code
        == 404
    )
    assert not ArticleFeedback.objects.exists()


def test_it_shows_admins_the_answers_so_far(articles, client, customer, superuser):
    from kb.services import article_feedback_record

    article = Article.objects.get(slug=CCMS_SLUG)
    article_feedback_record(article=article, user=customer, helpful=True)
    client.force_login(customer)
    assert "Answers so far" not in client.get(CCMS_URL).content.decode()
    client.force_login(superuser)
    assert "Answers so far: 1 yes, 0 no." in client.get(CCMS_URL).content.decode()


def test_the_admin_lists_articles_with_their_answers(articles, client, superuser, customer):
    from kb.services import article_feedback_record

    article_feedback_record(article=Article.objects.get(slug=CCMS_SLUG), user=customer, helpful=False)
    client.force_login(superuser)
    response = client.get(reverse("admin:kb_article_changelist"), {"o": "8"})
    assert response.status_code == 200
    assert "Not helpful" in response.content.decode()
