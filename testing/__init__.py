"""What the tests and the benchmarks run against: a scripted OpenAI-compatible server, helpers for real
processes (free ports, readiness, Celery workers) and the Schemathesis fuzzing harness. Not imported by
the application itself."""
