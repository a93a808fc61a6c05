import importlib


def test_it_resolves_requests_to_the_http_library_not_our_app():
    """DESIGN.md §9: a top-level `requests` package would shadow the HTTP library DRF et al. import."""
    requests = importlib.import_module("requests")
    assert hasattr(requests, "Session") and hasattr(requests, "get")
    assert "site-packages" in requests.__file__
    from rest_framework.test import APIClient  # imports requests internally

    assert APIClient
