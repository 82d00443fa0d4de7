"""The fraud app's Celery tasks, where ``app.autodiscover_tasks()`` looks for them.

Each part of the app keeps its tasks beside its code; importing them here registers them with
a worker started as ``celery -A config worker``.
"""

from .console import tasks as console_tasks  # noqa: F401
from .sift import tasks as sift_tasks  # noqa: F401
