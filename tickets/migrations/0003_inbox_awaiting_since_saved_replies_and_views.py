"""The inbox's "Needs reply" view: `Ticket.awaiting_since` (backfilled), its partial index; saved replies
and saved views.

The backfill dates a waiting ticket's wait from the customer's first message after the last public
operator reply (else the ticket's last activity); tickets nobody waits on get NULL.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


BACKFILL = """
UPDATE tickets_ticket SET awaiting_since = CASE WHEN awaiting_operator THEN COALESCE(
    (SELECT MIN(m.created_at) FROM demo_sessions_message m
      WHERE m.session_id = tickets_ticket.support_session_id AND m.author = 'user'
        AND m.created_at > COALESCE(
            (SELECT MAX(o.created_at) FROM demo_sessions_message o
              WHERE o.session_id = tickets_ticket.support_session_id AND o.author = 'operator' AND o.internal = false),
            '1970-01-01')),
    tickets_ticket.last_activity_at) ELSE NULL END
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('demo_sessions', '0001_initial'),
        ('tickets', '0002_ticket_search_vector_gin_and_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SavedReply',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=80, unique=True)),
                ('body', models.TextField(max_length=10000)),
                ('set_status', models.CharField(blank=True, choices=[('open', 'Open'), ('pending', 'Pending'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='', max_length=8)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name_plural': 'saved replies',
                'ordering': ('title',),
            },
        ),
        migrations.CreateModel(
            name='SavedView',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60)),
                ('query', models.CharField(max_length=600)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'ordering': ('name',),
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='awaiting_since',
            field=models.DateTimeField(blank=True, db_default=django.db.models.functions.datetime.Now(), default=django.utils.timezone.now, null=True),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('awaiting_operator', True)), fields=['awaiting_since', 'number'], name='ticket_needs_reply_idx'),
        ),
        migrations.AddConstraint(
            model_name='ticket',
            constraint=models.CheckConstraint(condition=models.Q(('awaiting_operator', False), ('awaiting_since__isnull', False), _connector='OR'), name='ticket_awaiting_has_since'),
        ),
        migrations.AddField(
            model_name='savedreply',
            name='created_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='savedview',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='saved_inbox_views', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='savedreply',
            constraint=models.CheckConstraint(condition=models.Q(('set_status', ''), ('set_status__in', ['open', 'pending', 'resolved', 'closed']), _connector='OR'), name='saved_reply_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='savedview',
            constraint=models.UniqueConstraint(fields=('user', 'name'), name='saved_view_user_name_unique'),
        ),
    ]
