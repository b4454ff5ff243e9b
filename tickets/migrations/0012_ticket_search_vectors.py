"""Stored full-text documents for request search, on PostgreSQL only (tickets/search.py).

Two tsvector columns on tickets_ticket, unknown to the Django model (so no page ever reads or
writes them by accident, and SQLite keeps working with its fallback):
  search_public  summary + description + public comments: what a customer may find a request by;
  search_agent   the same + internal notes: what an agent may find it by.
Each text is indexed in both the English and the Spanish configuration (customers write either).
A trigger on the ticket recomputes them when the summary or description changes; a trigger on the
activity log appends each new comment or note. GIN indexes serve the @@ match.
"""

import django.db.models.expressions
from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION tickets_search_vector(body text, weight "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(body, '')), weight)
        || setweight(to_tsvector('spanish'::regconfig, coalesce(body, '')), weight)
$$;

CREATE OR REPLACE FUNCTION tickets_ticket_search_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    document tsvector;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.summary IS NOT DISTINCT FROM OLD.summary
            AND NEW.description IS NOT DISTINCT FROM OLD.description THEN
        RETURN NEW;  -- the columns keep their values: Django never names them in an UPDATE
    END IF;
    document := tickets_search_vector(NEW.summary, 'A') || tickets_search_vector(NEW.description, 'B');
    IF TG_OP = 'INSERT' THEN
        NEW.search_public := document;
        NEW.search_agent := document;
        RETURN NEW;
    END IF;
    NEW.search_public := document || tickets_search_vector((
        SELECT string_agg(a.body, ' ' ORDER BY a.id) FROM tickets_activity a
        WHERE a.ticket_id = NEW.id AND a.kind = 'comment' AND a.visibility = 'public'), 'C');
    NEW.search_agent := document || tickets_search_vector((
        SELECT string_agg(a.body, ' ' ORDER BY a.id) FROM tickets_activity a
        WHERE a.ticket_id = NEW.id AND a.kind IN ('comment', 'note')), 'C');
    RETURN NEW;
END
$$;

-- The documents of every request from first_id on, in one pass over the log (the migration for
-- existing rows, and seed_load, which writes with the triggers off).
CREATE OR REPLACE FUNCTION tickets_search_rebuild(first_id bigint) RETURNS void
LANGUAGE sql AS $$
    UPDATE tickets_ticket t SET search_public = x.document || x.public_words,
                                search_agent = x.document || x.public_words || x.internal_words
    FROM (
        SELECT t2.id,
               tickets_search_vector(t2.summary, 'A') || tickets_search_vector(t2.description, 'B') AS document,
               tickets_search_vector(c.public_text, 'C') AS public_words,
               tickets_search_vector(c.internal_text, 'C') AS internal_words
        FROM tickets_ticket t2 LEFT JOIN (
            SELECT ticket_id,
                   string_agg(body, ' ' ORDER BY id) FILTER (WHERE kind = 'comment' AND visibility = 'public')
                       AS public_text,
                   string_agg(body, ' ' ORDER BY id) FILTER (WHERE NOT (kind = 'comment' AND visibility = 'public'))
                       AS internal_text
            FROM tickets_activity WHERE kind IN ('comment', 'note') AND ticket_id >= first_id GROUP BY ticket_id
        ) c ON c.ticket_id = t2.id
        WHERE t2.id >= first_id
    ) x
    WHERE x.id = t.id;
$$;

CREATE OR REPLACE FUNCTION tickets_activity_search_append() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    words tsvector := tickets_search_vector(NEW.body, 'C');
BEGIN
    UPDATE tickets_ticket SET
        search_agent = coalesce(search_agent, ''::tsvector) || words,
        search_public = CASE WHEN NEW.kind = 'comment' AND NEW.visibility = 'public'
                             THEN coalesce(search_public, ''::tsvector) || words ELSE search_public END
    WHERE id = NEW.ticket_id;
    RETURN NULL;
END
$$;
"""

FORWARD = (
    r"""
ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS search_public tsvector,
                           ADD COLUMN IF NOT EXISTS search_agent tsvector;
"""
    + FUNCTIONS
    + r"""

CREATE TRIGGER tickets_ticket_search BEFORE INSERT OR UPDATE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_refresh();
CREATE TRIGGER tickets_activity_search AFTER INSERT ON tickets_activity
    FOR EACH ROW WHEN (NEW.kind IN ('comment', 'note') AND NEW.body <> '')
    EXECUTE FUNCTION tickets_activity_search_append();

SELECT tickets_search_rebuild(0);  -- existing requests

CREATE INDEX IF NOT EXISTS ticket_search_public_idx ON tickets_ticket USING gin (search_public);
CREATE INDEX IF NOT EXISTS ticket_search_agent_idx ON tickets_ticket USING gin (search_agent);
"""
)

BACKWARD = r"""
DROP TRIGGER IF EXISTS tickets_activity_search ON tickets_activity;
DROP TRIGGER IF EXISTS tickets_ticket_search ON tickets_ticket;
ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_public, DROP COLUMN IF EXISTS search_agent;
DROP FUNCTION IF EXISTS tickets_activity_search_append();
DROP FUNCTION IF EXISTS tickets_search_rebuild(bigint);
DROP FUNCTION IF EXISTS tickets_ticket_search_refresh();
DROP FUNCTION IF EXISTS tickets_search_vector(text, "char");
"""


def _run(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_participation_is_explicit")]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                django.db.models.expressions.OrderBy(django.db.models.expressions.F("created_at"), descending=True),
                django.db.models.expressions.OrderBy(django.db.models.expressions.F("id"), descending=True),
                name="ticket_created_idx",
            ),
        ),
    ]
