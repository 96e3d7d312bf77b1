"""The turn benchmark: real gunicorn (the image's config), its own scratch database, figures printed."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from conversations.models import Conversation

pytestmark = pytest.mark.django_db


def test_bench_turns_reports_throughput_latency_and_memory_from_a_scratch_database():
    # Given the test database's conversations
    conversations_before = Conversation.objects.count()

    # When a short benchmark runs: one worker, two clients, a few unique turns
    out = StringIO()
    call_command(
        "bench_turns", "--turns", "6", "--concurrency", "2", "--workers", "1", "--threads", "2", stdout=out
    )
    report = out.getvalue()

    # Then every turn was answered, and the figures are printed
    assert "turns: 6 (0 errors), 2 concurrent clients, gunicorn 1 workers" in report
    throughput = re.search(r"throughput: ([\d.]+) turns/s", report)
    assert throughput is not None
    assert float(throughput.group(1)) > 0
    assert re.search(r"latency p50 / p95 / p99: \d+ / \d+ / \d+ ms", report)
    # gunicorn's master and its one worker, which holds the embedding model and Django
    memory = re.search(r"resident memory: master (\d+) MiB, workers (\d+) MiB \(total (\d+) MiB\)", report)
    assert memory is not None
    master, worker, total = (int(value) for value in memory.groups())
    assert worker > master > 0
    assert total == pytest.approx(master + worker, abs=1)
    # ...and the benchmark's turns went to its scratch database, not this one
    assert Conversation.objects.count() == conversations_before
