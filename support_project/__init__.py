# The Celery app is imported at start-up so @shared_task binds to it and
# DjangoTask.delay_on_commit() is available (see ../shared/notes, C.1).
from .celery import app as celery_app

__all__ = ("celery_app",)
