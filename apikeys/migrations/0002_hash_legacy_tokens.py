"""Move the plain-text tokens of rest_framework.authtoken into hashed API keys, then delete them.

Clients keep sending the same ``Authorization: Token <token>``: the key's prefix is the token's first
8 characters and its hash is of the whole token. Staff users' tokens get every scope; others get the
default scopes (so they see only conversations they create from now on).
"""

from django.db import migrations

ALL_SCOPES = [
    "turns:write",
    "conversations:read",
    "knowledge:read",
    "knowledge:write",
    "crm:read",
    "crm:write",
    "evaluation:read",
]
DEFAULT_SCOPES = ["turns:write", "knowledge:read", "crm:read"]


def hash_legacy_tokens(apps, schema_editor):
    from rest_framework_api_key.crypto import KeyGenerator

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('authtoken_token') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute(
            "SELECT t.key, t.user_id, t.created, u.is_staff, u.username "
            "FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id"
        )
        rows = cursor.fetchall()
    ApiKey = apps.get_model("apikeys", "ApiKey")
    generator = KeyGenerator()
    for token, user_id, created, is_staff, username in rows:
        prefix = token[:8]
        if ApiKey.objects.filter(prefix=prefix).exists():
            continue
        hashed = generator.hash(token)
        ApiKey.objects.create(
            id=f"{prefix}.{hashed}",
            prefix=prefix,
            hashed_key=hashed,
            name=f"{username} (token before scoped keys)"[:50],
            user_id=user_id,
            scopes=ALL_SCOPES if is_staff else DEFAULT_SCOPES,
        )
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("apikeys", "0001_api_key")]

    operations = [migrations.RunPython(hash_legacy_tokens, migrations.RunPython.noop)]
