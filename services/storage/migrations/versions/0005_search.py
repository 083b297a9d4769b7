"""Indexed text search for the gateway's `q`: the words of every event's evidence texts and place
names (mention, name, admin1, admin2, city, street).

PostgreSQL: a GIN index on to_tsvector('simple', those texts), the expression
`shared.store.tables.event_search_vector` declares. SQLite: an FTS5 table `events_fts` (rowid =
events.seq, one column `doc` holding those texts, tokenizer unicode61 without removing diacritics,
so й and и stay apart) that triggers on events keep in step through inserts, upserts and deletes;
the migration fills it from the events already stored.

Revision ID: 0005_search
Revises: 0004_sources
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_search"
down_revision = "0004_sources"
branch_labels = None
depends_on = None

PLACES = ("mention", "name", "admin1", "admin2", "city", "street")
PG_VECTOR = ("to_tsvector('simple'::regconfig, "
             "jsonb_path_query_array(CAST(body AS JSONB), '$.evidence[*].text'::jsonpath) || "
             "jsonb_path_query_array(CAST(body AS JSONB), "
             "'$.location.keyvalue() ? (@.key like_regex \"^(" + "|".join(PLACES) + ")$\").value'::jsonpath))")


def _sqlite_doc(row: str) -> str:
    """The searchable text of the event row `row` (NEW, OLD or events) as one string."""
    places = ", ".join(f"'{p}'" for p in PLACES)
    return ("(SELECT group_concat(t, ' ') FROM ("
            f"SELECT json_extract(value, '$.text') AS t FROM json_each({row}.body, '$.evidence') "
            f"UNION ALL SELECT value FROM json_each({row}.body, '$.location') WHERE key IN ({places})))")


SQLITE_UP = [
    "CREATE VIRTUAL TABLE events_fts USING fts5(doc, tokenize = 'unicode61 remove_diacritics 0')",
    f"INSERT INTO events_fts (rowid, doc) SELECT seq, {_sqlite_doc('events')} FROM events",
    "CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN "
    f"INSERT INTO events_fts (rowid, doc) VALUES (NEW.seq, {_sqlite_doc('NEW')}); END",
    # a redelivered event rewrites the same body: index it again only when its text changed
    "CREATE TRIGGER events_fts_update AFTER UPDATE OF body ON events WHEN OLD.body IS NOT NEW.body BEGIN "
    "DELETE FROM events_fts WHERE rowid = OLD.seq; "
    f"INSERT INTO events_fts (rowid, doc) VALUES (NEW.seq, {_sqlite_doc('NEW')}); END",
    "CREATE TRIGGER events_fts_delete AFTER DELETE ON events BEGIN "
    "DELETE FROM events_fts WHERE rowid = OLD.seq; END",
]
SQLITE_DOWN = ["DROP TRIGGER events_fts_delete", "DROP TRIGGER events_fts_update", "DROP TRIGGER events_fts_insert",
               "DROP TABLE events_fts"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
    else:
        op.create_index("ix_events_search", "events", [sa.text(PG_VECTOR)], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
    else:
        op.drop_index("ix_events_search", "events")
