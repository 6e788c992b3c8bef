"""Staff full-text search: `Ticket.search_vector`, its GIN index and the triggers that keep it current.

PostgreSQL only (the GIN index and the triggers are skipped elsewhere; SQLite searches with
icontains instead). The vector is subject (weight A) + body (B) + the text of every message in the
ticket's support thread, internal notes included (C). Triggers, not application code, maintain it so
that every writer — customer messages, operator replies, triage, Django admin — is covered:

* `BEFORE INSERT OR UPDATE` on tickets recomputes the vector on insert, when subject/body change,
  when the column is set to NULL (the "recompute me" signal) or when a writer sends a stale value
  (a full `save()` of an old instance); plain counter updates keep the stored vector untouched.
* `AFTER INSERT/UPDATE/DELETE` on messages sets its ticket's vector to NULL, which fires the above.
  Enrich-chat messages match no ticket and cost one unique-index probe.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

# The thread's text is capped so a huge thread can never exceed tsvector's 1 MB limit.
TICKET_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_ticket_search_vector_refresh() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT'
       OR NEW.search_vector IS NULL
       OR NEW.subject IS DISTINCT FROM OLD.subject
       OR NEW.body IS DISTINCT FROM OLD.body
       OR NEW.search_vector IS DISTINCT FROM OLD.search_vector THEN
        NEW.search_vector :=
            setweight(to_tsvector('english', coalesce(NEW.subject, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.body, '')), 'B')
            || setweight(to_tsvector('english', left(coalesce(
                   (SELECT string_agg(m.text, ' ' ORDER BY m.created_at, m.id)
                      FROM demo_sessions_message m WHERE m.session_id = NEW.support_session_id), ''),
                   200000)), 'C');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_ticket_search_vector_trg
    BEFORE INSERT OR UPDATE ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_vector_refresh();

CREATE OR REPLACE FUNCTION tickets_message_search_vector_touch() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE tickets_ticket SET search_vector = NULL WHERE support_session_id = NEW.session_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND (TG_OP = 'DELETE' OR OLD.session_id <> NEW.session_id) THEN
        UPDATE tickets_ticket SET search_vector = NULL WHERE support_session_id = OLD.session_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_message_search_vector_trg
    AFTER INSERT OR UPDATE OF text, session_id OR DELETE ON demo_sessions_message
    FOR EACH ROW EXECUTE FUNCTION tickets_message_search_vector_touch();

-- Backfill rows that existed before this migration.
UPDATE tickets_ticket SET search_vector = NULL;
"""

DROP_FUNCTIONS = """
DROP TRIGGER IF EXISTS tickets_message_search_vector_trg ON demo_sessions_message;
DROP FUNCTION IF EXISTS tickets_message_search_vector_touch();
DROP TRIGGER IF EXISTS tickets_ticket_search_vector_trg ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_ticket_search_vector_refresh();
"""

INDEX = GinIndex(fields=["search_vector"], name="ticket_search_gin")


def _postgres(schema_editor) -> bool:  # type: ignore[no-untyped-def]
    return schema_editor.connection.vendor == "postgresql"


def create_index(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if _postgres(schema_editor):
        schema_editor.add_index(apps.get_model("tickets", "Ticket"), INDEX)


def drop_index(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if _postgres(schema_editor):
        schema_editor.remove_index(apps.get_model("tickets", "Ticket"), INDEX)


def create_triggers(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if _postgres(schema_editor):
        schema_editor.execute(TICKET_FUNCTION)


def drop_triggers(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    if _postgres(schema_editor):
        schema_editor.execute(DROP_FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("demo_sessions", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_vector",
            field=SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="ticket", index=INDEX)],
            database_operations=[migrations.RunPython(create_index, drop_index)],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
