"""Benchmark-sized data, written set-based into PostgreSQL (`manage.py seed_load`).

Every row is made by INSERT ... SELECT over generate_series in a handful of statements: a
million requests through the services would take a day. The shapes follow what the services
write (a requester participant, a "created" activity, field values keyed by field, sensitive
values apart, attachment metadata on the activity); foreign keys are checked by construction
(session_replication_role = replica skips the per-row triggers), secondary indexes are dropped
during the load and built once afterwards, and the tables are ANALYZEd at the end.

Repeatable: `setseed(seed)` before the statements that draw random numbers, and every row's
draws come from its own series position, so one seed gives the same data.

People made here: customers seed-customer-<n>@seed.example (the first member of each
organisation is its site admin; organisation 0 holds `big_org_tickets` requests), agents
seed-agent-<n>@seed.example (two in three at Tier I, on every desk's team of their tier);
all share settings.DEMO_PASSWORD.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from .catalogue import DEMO_CATALOGUE, catalogue_import, catalogue_load_file
from .models import RequestField, RequestType

EMAIL_DOMAIN = "seed.example"
# Tables whose non-unique indexes are dropped during the load and rebuilt afterwards.
BULK_TABLES = ("tickets_ticket", "tickets_activity", "tickets_participant", "tickets_attachment")

# Words requests are written with: "request" is common (one summary in three), RARE_WORD is in
# about one request in 100,000 (and at least one).
WORDS = (
    "portal access login password reset report payment claim invoice visit caregiver schedule "
    "provider site staff director enrolment attendance billing error page blank upload file "
    "document license renewal training certificate address phone change update account role "
    "permission sftp key transfer batch rejected denied approval form field date deadline audit "
    "inspection family child parent subsidy rate notice letter email message timeout slow screen"
).split()
WORDS_ES = (
    "acceso contraseña pago factura visita cuidador horario proveedor sitio personal error página "
    "archivo documento licencia capacitación dirección teléfono cambio cuenta permiso fecha familia"
).split()
RARE_WORD = "quetzalcoatlus"


@dataclass(frozen=True)
class SeedSizes:
    tickets: int = 1_000_000
    organizations: int = 10_000
    sites_per_organization: int = 2
    customers: int = 50_000
    agents: int = 50
    big_org_tickets: int = 5_000
    seed: int = 42


def _sql_array(words: tuple[str, ...] | list[str]) -> str:
    return "ARRAY[" + ",".join("'" + w.replace("'", "''") + "'" for w in words) + "]::text[]"


def _type_templates() -> list[dict[str, Any]]:
    """Per request type: its ids and the stored field values every seeded request of it carries."""
    rows = []
    for rt in RequestType.objects.filter(is_active=True).select_related("default_team", "escalation_team"):
        public, sensitive = {}, []
        for field in rt.fields.filter(archived=False).order_by("position", "pk"):
            if field.key in (RequestField.SUMMARY, RequestField.DESCRIPTION) or field.kind == RequestField.Kind.FILE:
                continue
            samples: dict[str, Any] = {
                RequestField.Kind.NUMBER: 3,
                RequestField.Kind.DATE: "2026-01-15",
                RequestField.Kind.EMAIL: "someone@example.org",
                RequestField.Kind.CHOICE: (field.choices or [{"value": "x"}])[0].get("value"),
            }
            value = samples.get(field.kind, f"Sample {field.key.replace('_', ' ')}")
            if field.sensitive:
                sensitive.append((field.pk, field.key, field.name, str(value)))
                continue
            item = {"field": field.pk, "label": field.name, "value": value}
            if field.kind == RequestField.Kind.CHOICE:
                item["display"] = (field.choices or [{}])[0].get("label", value)
            public[field.key] = item
        tier2 = rt.escalation_team_id or rt.default_team_id
        rows.append(
            {"id": rt.pk, "desk_id": rt.desk_id, "team1": rt.default_team_id, "team2": tier2,
             "needs_approval": rt.needs_approval, "fields": json.dumps(public), "sensitive": sensitive}
        )  # fmt: skip
    return rows


class SeedLoader:
    def __init__(self, sizes: SeedSizes, log: Callable[[str], None] = print):
        self.s = sizes
        self.log = log
        self.started = time.monotonic()

    def step(self, label: str, sql: str, params: dict[str, Any] | list[Any] | None = None) -> int:
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count: int = cursor.rowcount
        self.log(f"  {label}: {max(count, 0):,} rows in {time.monotonic() - t0:.1f} s")
        return count

    def run(self) -> dict[str, Any]:
        if connection.vendor != "postgresql":
            raise RuntimeError("seed_load writes PostgreSQL only")
        catalogue_import(data=catalogue_load_file(DEMO_CATALOGUE))
        types = _type_templates()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cursor.execute("SET LOCAL work_mem = '64MB'")
            dropped = self._drop_indexes()
            self._people()
            self._temp_types(types)
            self._tickets()
            self._activities()
            self._rest(types)
            self._counters()
            self._after_load()
            self._rebuild_indexes(dropped)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            # The search documents were written by an UPDATE: reclaim the old row versions.
            cursor.execute("VACUUM tickets_ticket")
            for table in ("accounts_user", "accounts_organization", "accounts_site", "accounts_membership",
                          *BULK_TABLES, "tickets_sensitivevalue"):  # fmt: skip
                cursor.execute(f"ANALYZE {table}")
        self.log(f"  analyze: {time.monotonic() - t0:.1f} s")
        total = time.monotonic() - self.started
        self.log(f"seeded {self.s.tickets:,} requests in {total:.0f} s")
        return {"tickets": self.s.tickets, "seconds": round(total, 1)}

    # --- indexes ----------------------------------------------------------------------------

    def _drop_indexes(self) -> list[str]:
        """Non-unique, non-constraint indexes of the bulk tables: built once after the load, which
        is several times quicker than maintaining them row by row."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary
                """,
                [list(BULK_TABLES)],
            )
            rows = cursor.fetchall()
            for name, _definition in rows:
                cursor.execute(f"DROP INDEX {name}")
        return [definition for _name, definition in rows]

    def _rebuild_indexes(self, definitions: list[str]) -> None:
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            for definition in definitions:
                cursor.execute(definition)
        self.log(f"  {len(definitions)} indexes rebuilt in {time.monotonic() - t0:.1f} s")

    # --- people -----------------------------------------------------------------------------

    def _people(self) -> None:
        s = self.s
        password = make_password(settings.DEMO_PASSWORD)
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [((s.seed % 1000) / 1000.0)])
            cursor.execute("SELECT coalesce(max(id), 0) FROM accounts_organization")
            self.org0 = cursor.fetchone()[0] + 1
            cursor.execute("SELECT coalesce(max(id), 0) FROM accounts_user")
            self.user0 = cursor.fetchone()[0] + 1
        self.agent0 = self.user0 + s.customers
        self.step(
            "organisations",
            """INSERT INTO accounts_organization (id, name, kind, provider_id, is_active, created_at)
               SELECT %(o0)s + g, 'Seed ' || (ARRAY['Sunrise','Little Oaks','Bright Path','Care First','Harbor',
                      'Willow','Cedar','Maple','Rio Grande','Lone Star'])[1 + g %% 10] || ' ' ||
                      (ARRAY['Child Care','Home Care','Learning Center','Health Plan'])[1 + (g / 10) %% 4] || ' ' || g,
                      CASE WHEN g %% 20 = 19 THEN 'payer' ELSE 'provider' END,
                      'SEED-' || %(seed)s || '-' || g, true, now() - interval '3 years'
               FROM generate_series(0, %(n)s - 1) g""",
            {"o0": self.org0, "n": s.organizations, "seed": s.seed},
        )
        self.step(
            "sites",
            """INSERT INTO accounts_site (organization_id, name, address, is_primary)
               SELECT %(o0)s + g, CASE WHEN k = 0 THEN 'Main office' ELSE 'Site ' || (k + 1) END,
                      (100 + g %% 900) || ' Main Street, Austin, TX', k = 0
               FROM generate_series(0, %(n)s - 1) g, generate_series(0, %(k)s - 1) k""",
            {"o0": self.org0, "n": s.organizations, "k": max(1, s.sites_per_organization)},
        )
        self.step(
            "customers and agents",
            """INSERT INTO accounts_user (id, password, email, full_name, language, is_staff, is_superuser,
                                          is_active, date_joined, muted_notifications, queue_columns)
               SELECT %(u0)s + g, %(pw)s,
                      CASE WHEN g < %(c)s THEN 'seed-customer-' || g ELSE 'seed-agent-' || (g - %(c)s) END
                        || '@' || %(domain)s,
                      (ARRAY['Ana','Ben','Carla','David','Elena','Frank','Gloria','Hugo','Iris','Jorge'])[1 + g %% 10]
                        || ' ' || (ARRAY['Garcia','Smith','Lopez','Johnson','Martinez','Brown','Davis','Reyes'])
                        [1 + (g / 10) %% 8] || ' ' || g,
                      CASE WHEN g %% 5 = 4 THEN 'es' ELSE 'en' END, false, false, true,
                      now() - interval '3 years', '[]'::jsonb, '[]'::jsonb
               FROM generate_series(0, %(c)s + %(a)s - 1) g""",
            {"u0": self.user0, "pw": password, "c": s.customers, "a": s.agents, "domain": EMAIL_DOMAIN},
        )
        # Customer c belongs to organisation c mod organisations; the first of each is its site admin.
        self.step(
            "memberships",
            """INSERT INTO accounts_membership (user_id, organization_id, role, created_at)
               SELECT %(u0)s + g, %(o0)s + g %% %(o)s,
                      CASE WHEN g < %(o)s THEN 'site_admin' WHEN g < 2 * %(o)s THEN 'site_manager' ELSE 'staff' END,
                      now() - interval '3 years'
               FROM generate_series(0, %(c)s - 1) g""",
            {"u0": self.user0, "o0": self.org0, "o": s.organizations, "c": s.customers},
        )
        self.step(
            "team members",
            """INSERT INTO tickets_team_members (team_id, user_id)
               SELECT t.id, %(a0)s + a FROM generate_series(0, %(a)s - 1) a
               JOIN tickets_team t ON t.tier = CASE WHEN a %% 3 = 2 THEN 2 ELSE 1 END""",
            {"a0": self.agent0, "a": s.agents},
        )
        for table in ("accounts_user", "accounts_organization"):
            self._bump_sequence(table)

    def _bump_sequence(self, table: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")

    def _temp_types(self, types: list[dict[str, Any]]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                """CREATE TEMP TABLE seed_type (k int PRIMARY KEY, id bigint, desk_id bigint, team1 bigint,
                   team2 bigint, fields jsonb) ON COMMIT DROP"""
            )
            cursor.executemany(
                "INSERT INTO seed_type VALUES (%s, %s, %s, %s, %s, %s)",
                [(k, t["id"], t["desk_id"], t["team1"], t["team2"], t["fields"]) for k, t in enumerate(types)],
            )
            cursor.execute(
                """CREATE TEMP TABLE seed_team_agent ON COMMIT DROP AS
                   SELECT tm.team_id, tm.user_id,
                          row_number() OVER (PARTITION BY tm.team_id ORDER BY tm.user_id) - 1 AS k,
                          count(*) OVER (PARTITION BY tm.team_id) AS n
                   FROM tickets_team_members tm WHERE tm.user_id >= %s""",
                [self.agent0],
            )
            cursor.execute("CREATE INDEX ON seed_team_agent (team_id, k)")
            cursor.execute("SELECT coalesce(max(id), 0) FROM tickets_ticket")
            self.ticket0 = cursor.fetchone()[0] + 1
            cursor.execute("SELECT id, key, last_number FROM tickets_servicedesk")
            self.desks = cursor.fetchall()
        self.type_count = len(types)

    # --- requests ---------------------------------------------------------------------------

    def _tickets(self) -> None:
        s = self.s
        per_org = -(-s.customers // s.organizations)  # members of organisation 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [((s.seed % 1000) / 1000.0) + 0.0001])
            # One row of draws per request; everything else is computed from them.
            cursor.execute(
                """CREATE TEMP TABLE seed_t ON COMMIT DROP AS
                   SELECT g AS i, random() AS r_type, random() AS r_status, random() AS r_tier,
                          random() AS r_assign, random() AS r_age, random() AS r_words, random() AS r_comments,
                          floor(random() * 2147483647)::bigint AS ws, floor(random() * 2147483647)::bigint AS ws2,
                          CASE WHEN g < %(big)s THEN (g %% %(per_org)s) * %(o)s
                               ELSE floor(random() * %(c)s)::int END AS customer
                   FROM generate_series(0, %(n)s - 1) g""",
                {"n": s.tickets, "big": min(s.big_org_tickets, s.tickets), "per_org": per_org,
                 "o": s.organizations, "c": s.customers},
            )  # fmt: skip
            cursor.execute(
                """CREATE TEMP TABLE seed_row ON COMMIT DROP AS
                   SELECT t.i, ty.id AS type_id, ty.desk_id, ty.fields, t.customer, t.r_assign, t.r_words,
                     t.r_comments, t.ws, t.ws2,
                     CASE WHEN t.r_status < 0.55 THEN 'closed' WHEN t.r_status < 0.63 THEN 'resolved'
                          WHEN t.r_status < 0.66 THEN 'canceled' WHEN t.r_status < 0.67 THEN 'declined'
                          WHEN t.r_status < 0.68 THEN 'waiting_for_approval'
                          WHEN t.r_status < 0.80 THEN 'waiting_for_support'
                          WHEN t.r_status < 0.90 THEN 'in_progress' ELSE 'waiting_for_customer' END AS status,
                     CASE WHEN t.r_tier < 0.25 THEN 2 ELSE 1 END AS tier,
                     CASE WHEN t.r_tier < 0.25 THEN ty.team2 ELSE ty.team1 END AS team_id,
                     -- Open requests are recent (the last 60 days), done ones spread over two years.
                     now() - CASE WHEN t.r_status >= 0.67 THEN t.r_age * interval '60 days'
                                  ELSE interval '2 days' + t.r_age * interval '728 days' END AS created_at,
                     row_number() OVER (PARTITION BY ty.desk_id ORDER BY t.i) AS k
                   FROM seed_t t JOIN seed_type ty ON ty.k = floor(t.r_type * %(types)s)::int""",
                {"types": self.type_count},
            )
        words, words_es = _sql_array(WORDS), _sql_array(WORDS_ES)
        nw, nwe = len(WORDS), len(WORDS_ES)
        rare_every = max(1, min(100_000, s.tickets))
        self.step(
            "requests",
            f"""INSERT INTO tickets_ticket (
                  id, desk_id, number, reference, request_type_id, requester_id, created_by_id, organization_id,
                  site_id, channel, summary, description, field_values, status, tier, team_id, assignee_id,
                  priority, escalation_requested, escalation_reason, escalation_requested_at,
                  first_response_due_at, first_response_at, resolution_due_at, sla_paused_at, sla_at_risk_at,
                  sla_breached_at, resolved_at, closed_at, status_changed_at, merged_into_id, created_at,
                  updated_at, version, contact_phone)
                SELECT %(t0)s + r.i, r.desk_id, d.last_number + r.k, d.key || '-' || (d.last_number + r.k),
                  r.type_id, %(u0)s + r.customer, %(u0)s + r.customer, %(o0)s + r.customer %% %(o)s,
                  site.id, CASE WHEN r.i %% 10 = 0 THEN 'email' ELSE 'portal' END,
                  initcap(w[1]) || ' ' || w[2] || ' ' || w[3] || CASE WHEN r.i %% 3 = 0 THEN ' request' ELSE '' END
                    || CASE WHEN r.i %% {rare_every} = 7 %% {rare_every} THEN ' {RARE_WORD}' ELSE '' END,
                  'Since ' || (1 + r.i %% 28) || ' November our ' || w[4] || ' shows an ' || w[5] || ' when we '
                    || w[6] || ' the ' || w[2] || '. We tried again from another computer. '
                    || CASE WHEN r.i %% 5 = 4 THEN 'También: ' || we[1] || ' y ' || we[2] || ' de la ' || we[3] || '.'
                       ELSE 'Thank you for looking into this ' || w[7] || '.' END,
                  r.fields, r.status, r.tier, r.team_id,
                  CASE WHEN r.status IN ('waiting_for_support', 'waiting_for_approval') AND r.r_assign < 0.6 THEN NULL
                       WHEN r.status IN ('canceled', 'declined') AND r.r_assign < 0.5 THEN NULL
                       ELSE ta.user_id END,
                  1 + floor(r.r_words * 4)::int %% 4, r.i %% 97 = 0,
                  CASE WHEN r.i %% 97 = 0 THEN 'We need this sooner: our visits are blocked.' ELSE '' END,
                  CASE WHEN r.i %% 97 = 0 THEN r.created_at + interval '1 day' END,
                  r.created_at + interval '4 hours',
                  CASE WHEN r.status NOT IN ('waiting_for_support', 'waiting_for_approval')
                       THEN r.created_at + interval '2 hours' END,
                  r.created_at + interval '3 days' + (r.i %% 72) * interval '1 hour',
                  CASE WHEN r.status = 'waiting_for_customer' THEN r.created_at + interval '1 day' END,
                  CASE WHEN r.status IN ('waiting_for_support', 'in_progress')
                        AND r.created_at + interval '2 days' < now() THEN r.created_at + interval '2 days' END,
                  CASE WHEN r.status IN ('waiting_for_support', 'in_progress')
                        AND r.created_at + interval '3 days' + (r.i %% 72) * interval '1 hour' < now()
                       THEN r.created_at + interval '3 days' + (r.i %% 72) * interval '1 hour' END,
                  CASE WHEN r.status IN ('resolved', 'closed') THEN r.created_at + interval '1 day' END,
                  CASE WHEN r.status = 'closed' THEN r.created_at + interval '8 days' END,
                  r.created_at + CASE WHEN r.status = 'closed' THEN interval '8 days'
                                      WHEN r.status = 'waiting_for_support' THEN interval '0' ELSE interval '1 day' END,
                  NULL, r.created_at,
                  r.created_at + CASE WHEN r.status = 'closed' THEN interval '8 days' ELSE interval '1 day' END, 1, ''
                FROM seed_row r
                JOIN (VALUES {", ".join(f"({pk}, '{key}', {last})" for pk, key, last in self.desks)})
                     AS d(id, key, last_number) ON d.id = r.desk_id
                JOIN accounts_site site ON site.organization_id = %(o0)s + r.customer %% %(o)s AND site.is_primary
                LEFT JOIN seed_team_agent ta ON ta.team_id = r.team_id
                     AND ta.k = floor(r.r_assign * 1000)::int %% ta.n
                CROSS JOIN LATERAL (SELECT
                    ARRAY[({words})[1 + r.ws %% {nw}], ({words})[1 + (r.ws / {nw}) %% {nw}],
                          ({words})[1 + (r.ws / {nw**2}) %% {nw}], ({words})[1 + (r.ws / {nw**3}) %% {nw}],
                          ({words})[1 + r.ws2 %% {nw}], ({words})[1 + (r.ws2 / {nw}) %% {nw}],
                          ({words})[1 + (r.ws2 / {nw**2}) %% {nw}]] AS w,
                    ARRAY[({words_es})[1 + r.ws %% {nwe}], ({words_es})[1 + (r.ws2 / {nw**3}) %% {nwe}],
                          ({words_es})[1 + (r.ws / {nw**4}) %% {nwe}]] AS we
                ) words""",
            {"t0": self.ticket0, "u0": self.user0, "o0": self.org0, "o": s.organizations},
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE tickets_servicedesk d SET last_number = m.n
                   FROM (SELECT desk_id, max(number) AS n FROM tickets_ticket GROUP BY desk_id) m
                   WHERE m.desk_id = d.id"""
            )
        self._bump_sequence("tickets_ticket")

    def _activities(self) -> None:
        """A "created" row for each request, then 0-4 comments and notes (two on average), and
        a status change for the requests no longer waiting for support. The first request of the
        big organisation gets 30 rows: the request page the benchmark reads."""
        s = self.s
        self.step(
            "activities",
            """INSERT INTO tickets_activity (ticket_id, actor_id, kind, visibility, body, old_value, new_value,
                                             data, created_at)
               SELECT %(t0)s + r.i, %(u0)s + r.customer, 'created', 'public', '', '', 'waiting_for_support',
                      '{"channel": "portal"}'::jsonb, r.created_at
               FROM seed_row r
               UNION ALL
               SELECT %(t0)s + r.i,
                      CASE WHEN j %% 2 = 0 THEN %(a0)s + (r.i + j) %% %(a)s ELSE %(u0)s + r.customer END,
                      CASE WHEN j %% 4 = 3 THEN 'note' ELSE 'comment' END,
                      CASE WHEN j %% 4 = 3 THEN 'internal' ELSE 'public' END,
                      CASE WHEN j %% 4 = 3 THEN 'Internal: checked the ' || (ARRAY['logs','account','batch','claim'])
                             [1 + (r.i + j) %% 4] || ' for this request; see the audit trail.'
                           WHEN j %% 2 = 0 THEN 'Thanks for writing. We looked at your ' || (ARRAY['account','report',
                             'payment','schedule','upload'])[1 + (r.i + j) %% 5] || ' and need one more detail.'
                           ELSE 'Here is the detail you asked for: it happens every morning after login.' END,
                      '', '', '{}'::jsonb, r.created_at + j * interval '3 hours'
               FROM seed_row r
               CROSS JOIN LATERAL generate_series(1, CASE WHEN r.i = 0 THEN 29
                                                          ELSE floor(r.r_comments * 4)::int END) j
               UNION ALL
               SELECT %(t0)s + r.i, %(a0)s + r.i %% %(a)s, 'status', 'public', '', 'waiting_for_support', r.status,
                      '{}'::jsonb, r.created_at + interval '1 day'
               FROM seed_row r WHERE r.status NOT IN ('waiting_for_support', 'waiting_for_approval') AND r.i > 0""",
            {"t0": self.ticket0, "u0": self.user0, "a0": self.agent0, "a": s.agents},
        )

    def _rest(self, types: list[dict[str, Any]]) -> None:
        s = self.s
        params = {"t0": self.ticket0, "u0": self.user0}
        self.step(
            "participants",
            """INSERT INTO tickets_participant (ticket_id, user_id, notify, added_by_id, added_at)
               SELECT %(t0)s + r.i, %(u0)s + r.customer, true, %(u0)s + r.customer, r.created_at FROM seed_row r""",
            params,
        )
        sensitive = [(t["id"], *f) for t in types for f in t["sensitive"]]
        if sensitive:
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(sensitive))
            flat = [v for row in sensitive for v in row]
            # Half the requests of a type with sensitive fields carry their values.
            self.step(
                "sensitive values",
                f"""INSERT INTO tickets_sensitivevalue (ticket_id, field_id, field_key, label, value, display)
                    SELECT %s + r.i, f.field_id, f.key, f.label, f.value || ' ' || r.i, ''
                    FROM seed_row r JOIN (VALUES {values}) AS f(type_id, field_id, key, label, value)
                         ON f.type_id = r.type_id
                    WHERE r.i %% 2 = 0""",
                [self.ticket0, *flat],
            )
        # One request in ten has a file on its "created" activity (metadata only: no bytes stored).
        self.step(
            "attachments",
            """INSERT INTO tickets_attachment (uploaded_by_id, file, original_name, content_type, size, ticket_id,
                                               activity_id, field_key, created_at, claimed_at)
               SELECT a.actor_id, 'attachments/seed/' || a.ticket_id || '.pdf', 'screenshot-' || a.ticket_id || '.pdf',
                      'application/pdf', 20000 + a.ticket_id %% 500000, a.ticket_id, a.id, 'attachments',
                      a.created_at, a.created_at
               FROM tickets_activity a
               WHERE a.kind = 'created' AND a.ticket_id >= %(t0)s AND a.ticket_id %% 10 = 3""",
            params,
        )
        for table in ("tickets_activity", "tickets_participant", "tickets_attachment", "tickets_sensitivevalue"):
            self._bump_sequence(table)
        self.log(f"  ({s.tickets:,} requests, {s.customers:,} customers, {s.agents} agents)")

    def _counters(self) -> None:
        """Derived tables kept by the services (none yet)."""

    def _after_load(self) -> None:
        """The search documents the triggers would have written (migration 0012), in one pass."""
        self.step("search documents", "SELECT tickets_search_rebuild(%s)", [self.ticket0])
