"""The API's pagination (its own module: DRF's settings import it while rest_framework.views loads)."""

from rest_framework.pagination import PageNumberPagination


class TenantPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    # A cap, so that one request cannot ask the server for a whole CoC's history at once.
    max_page_size = 200
