#!/usr/bin/env bash
# A new user's first hour, as CI replays it: `make run`, Ctrl-C, then the next command must work.
# The embedded database outlives the server (it runs until `make db-stop`), and nothing a process
# writes as it starts or exits can leave a state that stops the next command.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${FIRST_RUN_PORT:-8765}
mkdir -p var
log=var/first-run.log
# Job control: the server runs in a process group of its own, so the Ctrl-C below reaches make and
# everything it started, as a terminal's would. A shell started in the background inherits SIGINT as
# ignored and cannot undo that itself, so SIGINT is reset to its default before make starts.
set -m
.venv/bin/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
	make run PORT="$port" >"$log" 2>&1 &
run=$!
ready() { .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; }
for _ in $(seq 1 900); do
	if ready "http://127.0.0.1:$port/readyz"; then break; fi
	if ! kill -0 "$run" 2>/dev/null; then echo "make run exited early:"; tail -40 "$log"; exit 1; fi
	sleep 1
done
ready "http://127.0.0.1:$port/readyz" || { echo "make run never became ready:"; tail -40 "$log"; exit 1; }
kill -INT -- "-$run"
wait "$run" || true
# The next commands: the database answers, migrations are read from it.
.venv/bin/python -m salesagent.embedded_db status | tee -a "$log" | grep -q '^running'
.venv/bin/python manage.py migrate --check --noinput >>"$log" 2>&1
echo "first run: make run, Ctrl-C, then the next command: ok"
