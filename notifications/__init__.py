"""django-ciam notifications: security email to users and administrators through Celery."""
