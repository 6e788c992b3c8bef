from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("demo_sessions", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="demosession",
            name="agent_state",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
