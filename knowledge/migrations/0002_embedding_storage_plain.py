# Keep embeddings inside the row: a 384-d vector (1.5 kB) next to a chunk's tsvector pushes rows past
# the 2 kB TOAST threshold, and detoasting every vector made exact scans ~7x slower (bench_search).
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE knowledge_chunk ALTER COLUMN embedding SET STORAGE PLAIN",
            reverse_sql="ALTER TABLE knowledge_chunk ALTER COLUMN embedding SET STORAGE EXTERNAL",
        )
    ]
