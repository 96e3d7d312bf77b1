"""WSGI entry point (gunicorn, and `manage.py runserver`): the application, warmed up before it serves.

Each gunicorn worker imports this module before accepting connections, so warming up here means no
request waits for the embedding model or the intent index (``salesagent/warmup.py``).
"""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesagent.settings")

application = get_wsgi_application()

if settings.WARM_UP:
    from salesagent.warmup import warm_up  # needs the app registry that get_wsgi_application set up

    warm_up()
