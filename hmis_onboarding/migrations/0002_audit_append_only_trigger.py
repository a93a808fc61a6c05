"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit trail, so not even raw
SQL or another client can rewrite history. (SQLite, the embedded default, relies on the ORM guard.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION hmis_audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only (' || TG_OP || ' refused)',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS hmis_audit_event_append_only ON hmis_onboarding_auditevent;
CREATE TRIGGER hmis_audit_event_append_only
    BEFORE UPDATE OR DELETE ON hmis_onboarding_auditevent
    FOR EACH ROW EXECUTE FUNCTION hmis_audit_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS hmis_audit_event_append_only ON hmis_onboarding_auditevent;
DROP FUNCTION IF EXISTS hmis_audit_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("hmis_onboarding", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
