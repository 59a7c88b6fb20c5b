"""The REST API (django-ninja) under /api/: see docs/api.md."""
