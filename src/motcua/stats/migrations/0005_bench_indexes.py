# Indexes found wanting by bench/stats.py (issue 13, "Performance": 10,000,000 dossiers on PostgreSQL); also the
# merge of the index's (0002) and the board's (0003, 0004) migrations.
#
# - ``fact_due_covering``: the dossiers open past due at a period's end (``stats.index.overdue_open``, the index's
#   row 2.1) are sought among all of a scope's facts due before the period's end; with ``fact_due`` alone that is a
#   heap visit per fact of the scope's whole history (1.3-2.9 s for a province of 450,000 dossiers, the bitmap
#   going lossy). Covering, the count is an index-only scan. PostgreSQL only (INCLUDE); SQLite keeps ``fact_due``.
# - ``fact_ended_covering``: the dossiers whose handling ended in a period, counted per agency with the satisfied
#   ones (``stats.index.ended_facts``: a petition names the code, a rating the dossier) and counted for the
#   drill-downs: an index-only scan instead of a heap visit per dossier (35,000 for a province's quarter).
# - ``rating_disliked``: whether a rating of at most 2 (``stats.index.DISLIKED``) names the dossier, probed once per
#   dossier ended (the index's row 6.3): the ratings' own indexes make each probe a heap visit; this small partial
#   index answers it alone.
# - ``rollup_agency_day``: a scope's roll-up rows of a period (``stats.index.gather``, the reports): the unique
#   (agency, procedure, day) and (day, agency) indexes bound neither the agencies and the days together, so the
#   planner read every roll-up row of the scope's agencies (3 years) to keep a quarter's.
# SQL here, not Meta indexes: the models are not this benchmark's to change (the lead may move them to Meta).

from django.db import migrations

INDEXES = {
    "fact_due_covering": ("CREATE INDEX IF NOT EXISTS fact_due_covering ON stats_dossierfact "
                          "(agency_id, due_at) INCLUDE (received_at, ended_at, withdrawn, dossier_id)", True),
    "fact_ended_covering": ("CREATE INDEX IF NOT EXISTS fact_ended_covering ON stats_dossierfact "
                            "(agency_id, ended_on) INCLUDE (outcome, dossier_id, code, received_at)", True),
    "rating_disliked": ("CREATE INDEX IF NOT EXISTS rating_disliked ON feedback_rating (dossier_id) "
                        "WHERE score <= 2", False),
    "rollup_agency_day": ("CREATE INDEX IF NOT EXISTS rollup_agency_day ON stats_dailyrollup (agency_id, day)", False),
}


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for sql, postgres_only in INDEXES.values():
        if postgres or not postgres_only:
            schema_editor.execute(sql)


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0002_index_versions'),
        ('stats', '0004_digests'),
        ('feedback', '0002_one_rating_per_dossier'),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
