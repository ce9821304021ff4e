# Indexes found wanting by bench/stats.py (issue 13, "Performance": 10,000,000 dossiers on PostgreSQL); also the
# merge of the index's (0002) and the board's (0003, 0004) migrations.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0002_index_versions'),
        ('stats', '0004_digests'),
    ]

    operations = [
    ]
