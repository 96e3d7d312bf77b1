# Production image: the same code serves the web (gunicorn) and runs the Celery worker.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
# The CPU build of torch first, so requirements.txt does not pull several GB of CUDA packages.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==$(grep -E '^torch==' requirements.txt | cut -d= -f3)" \
    && pip install -r requirements.txt

COPY . .
RUN useradd --system --uid 1000 --home /app salesagent \
    && mkdir -p /app/var/static \
    && DATABASE_URL=postgres://unused/unused SECRET_KEY=collectstatic python manage.py collectstatic --noinput \
    && chown -R salesagent /app/var
USER salesagent

EXPOSE 8000
CMD ["gunicorn", "salesagent.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--timeout", "60"]
