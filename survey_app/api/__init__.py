"""The city platform's API under /api/v1/: read endpoints, the hotline write, OpenAPI 3.1 and problem details.

Kept free of imports so that `survey_app.errors` can use `api.problems` without a cycle; the
blueprint, the document and the routes are put together by `api.setup.init_app`.
"""
