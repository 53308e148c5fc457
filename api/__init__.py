"""The instructor JSON API, served at /api/ (OpenAPI document at /api/openapi.json, docs at /api/docs).

One django-ninja Router per resource (`classes`, `students`, `scenarios`, `exercises`, `results`),
mounted on the one NinjaAPI of `api.main`; auth, errors and the shared field types live in `api.base`.
"""
