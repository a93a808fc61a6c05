"""Bench-only: report each request's server time and SQL query count in response headers."""

from __future__ import annotations

import time

from django.db import connection


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = [0]

        def count(execute, sql, params, many, context):
            queries[0] += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Ms"] = f"{(time.perf_counter() - started) * 1000:.2f}"
        response["X-Bench-Queries"] = str(queries[0])
        return response
