"""The text search configuration the "Other" trend reads words with (PostgreSQL only): no
stemming, so a phrase reads as the customers wrote it; English and Spanish stop words dropped;
numbers, e-mail addresses and links left out (they name one case, not a topic)."""

from django.db import migrations

CREATE = """
CREATE TEXT SEARCH DICTIONARY reports_english_stop (TEMPLATE = simple, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH DICTIONARY reports_spanish_stop (TEMPLATE = simple, STOPWORDS = spanish);
CREATE TEXT SEARCH CONFIGURATION reports_other (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION reports_other
    ALTER MAPPING FOR asciiword, word, asciihword, hword, hword_asciipart, hword_part
    WITH reports_english_stop, reports_spanish_stop;
ALTER TEXT SEARCH CONFIGURATION reports_other
    DROP MAPPING IF EXISTS FOR int, uint, float, sfloat, numword, numhword, hword_numpart, version, email, url,
    url_path, host, file, protocol, tag, entity;
"""
DROP = """
DROP TEXT SEARCH CONFIGURATION IF EXISTS reports_other;
DROP TEXT SEARCH DICTIONARY IF EXISTS reports_spanish_stop;
DROP TEXT SEARCH DICTIONARY IF EXISTS reports_english_stop;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_report_tables")]
    operations = [migrations.RunPython(create, drop)]
