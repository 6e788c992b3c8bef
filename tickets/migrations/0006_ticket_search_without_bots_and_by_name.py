"""Search without bot text, and by the customer's name (issue #15 item 6).

`Ticket.search_vector_human` = the agent's name (weight A), subject (A), body (B) and the support
thread's messages by people — customer and operators, internal notes included (C). The existing
`search_vector` becomes that plus bot text (authors triage_bot, assistant, system; weight D): the
"include bot and triage text" search. One trigger function computes both from one scan of the
thread. PostgreSQL only, like migration 0002.

New triggers: a message's *author* change also refreshes (it moves text between the vectors), and
renaming an agent refreshes its tickets (its name is searchable).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations

# The thread's text is capped so a huge thread can never exceed tsvector's 1 MB limit.
TICKET_FUNCTION = """
CREATE OR REPLACE FUNCTION tickets_ticket_search_vector_refresh() RETURNS trigger AS $$
DECLARE
    people text;
    bots text;
    agent_name text;
BEGIN
    IF TG_OP = 'INSERT'
       OR NEW.search_vector IS NULL
       OR NEW.subject IS DISTINCT FROM OLD.subject
       OR NEW.body IS DISTINCT FROM OLD.body
       OR NEW.agent_id IS DISTINCT FROM OLD.agent_id
       OR NEW.search_vector IS DISTINCT FROM OLD.search_vector
       OR NEW.search_vector_human IS DISTINCT FROM OLD.search_vector_human THEN
        SELECT string_agg(m.text, ' ' ORDER BY m.created_at, m.id)
                   FILTER (WHERE m.author NOT IN ('triage_bot', 'assistant', 'system')),
               string_agg(m.text, ' ' ORDER BY m.created_at, m.id)
                   FILTER (WHERE m.author IN ('triage_bot', 'assistant', 'system'))
          INTO people, bots
          FROM demo_sessions_message m WHERE m.session_id = NEW.support_session_id;
        SELECT a.name INTO agent_name FROM accounts_agent a WHERE a.id = NEW.agent_id;
        NEW.search_vector_human :=
            setweight(to_tsvector('english', coalesce(agent_name, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.subject, '')), 'A')
            || setweight(to_tsvector('english', coalesce(NEW.body, '')), 'B')
            || setweight(to_tsvector('english', left(coalesce(people, ''), 200000)), 'C');
        NEW.search_vector :=
            NEW.search_vector_human
            || setweight(to_tsvector('english', left(coalesce(bots, ''), 200000)), 'D');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS tickets_message_search_vector_trg ON demo_sessions_message;
CREATE TRIGGER tickets_message_search_vector_trg
    AFTER INSERT OR UPDATE OF text, session_id, author OR DELETE ON demo_sessions_message
    FOR EACH ROW EXECUTE FUNCTION tickets_message_search_vector_touch();

CREATE OR REPLACE FUNCTION tickets_agent_search_vector_touch() RETURNS trigger AS $$
BEGIN
    UPDATE tickets_ticket SET search_vector = NULL WHERE agent_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_agent_search_vector_trg
    AFTER UPDATE OF name ON accounts_agent
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION tickets_agent_search_vector_touch();

-- Recompute every ticket's vectors.
UPDATE tickets_ticket SET search_vector = NULL;
"""

# Back to migration 0002's function and message trigger.
REVERSE = """
DROP TRIGGER IF EXISTS tickets_agent_search_vector_trg ON accounts_agent;
DROP FUNCTION IF EXISTS tickets_agent_search_vector_touch();
DROP TRIGGER IF EXISTS tickets_message_search_vector_trg ON demo_sessions_message;
CREATE TRIGGER tickets_message_search_vector_trg
    AFTER INSERT OR UPDATE OF text, session_id OR DELETE ON demo_sessions_message
    FOR EACH ROW EXECUTE FUNCTION tickets_message_search_vector_touch();
"""

INDEX = GinIndex(fields=["search_vector_human"], name="ticket_search_human_gin")


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
        from importlib import import_module

        previous = import_module("tickets.migrations.0002_ticket_search_vector_gin_and_triggers")
        schema_editor.execute(REVERSE)
        # 0002's ticket function (CREATE OR REPLACE; its trigger statement is skipped: it exists).
        schema_editor.execute(previous.TICKET_FUNCTION.split("CREATE TRIGGER tickets_ticket_search_vector_trg")[0])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_ticketevent_and_decide_bounty_permission"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="search_vector_human",
            field=SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="ticket", index=INDEX)],
            database_operations=[migrations.RunPython(create_index, drop_index)],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
