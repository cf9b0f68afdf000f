import django.db.models.deletion
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import migrations, models
from django.utils import timezone


def move_sessions(apps, schema_editor):
    """Live sessions in Django's own table move to the new one, with their user's id, so that
    nobody is signed out by the upgrade and no session is left where nothing cleans it up."""
    from django.contrib.sessions.backends.db import SessionStore

    database = schema_editor.connection.alias
    old = apps.get_model("sessions", "Session")
    new = apps.get_model("accounts", "Session")
    store = SessionStore()
    batch = []
    for row in old.objects.using(database).filter(expire_date__gt=timezone.now()).iterator():
        try:
            user_id = int(store.decode(row.session_data).get(SESSION_KEY))
        except (TypeError, ValueError):
            user_id = None
        batch.append(
            new(
                session_key=row.session_key,
                session_data=row.session_data,
                expire_date=row.expire_date,
                user_id=user_id,
            )
        )
        if len(batch) == 1000:
            new.objects.using(database).bulk_create(batch)
            batch = []
    new.objects.using(database).bulk_create(batch)
    old.objects.using(database).all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_cache_table'),
        ('sessions', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='Session',
            fields=[
                ('session_key', models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name='session key')),
                ('session_data', models.TextField(verbose_name='session data')),
                ('expire_date', models.DateTimeField(db_index=True, verbose_name='expire date')),
                ('user', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'session',
                'verbose_name_plural': 'sessions',
                'abstract': False,
            },
        ),
        migrations.RunPython(move_sessions, migrations.RunPython.noop),
    ]
