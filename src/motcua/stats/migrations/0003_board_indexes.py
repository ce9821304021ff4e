# The supervision board's indexes on the step facts (issue 13): steps finished by agency and time (handed on
# today, the bottlenecks' weeks), and the open steps by agency and step due date (the worst step of a unit).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0001_reporting_facts'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='stepfact',
            index=models.Index(fields=['agency', 'ended_at'], name='stepfact_ended'),
        ),
        migrations.AddIndex(
            model_name='stepfact',
            index=models.Index(condition=models.Q(('ended_at__isnull', True)), fields=['agency', 'due_at'],
                               name='stepfact_open'),
        ),
    ]
