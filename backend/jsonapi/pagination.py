"""Pages of the JSON:API lists (``page[number]``, ``page[size]``), a page past the last
one included (JSON:API 1.1 "Fetching Resources" and "Pagination")."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, Paginator
from rest_framework_json_api.pagination import JsonApiPageNumberPagination

from backend.jsonapi.query import page_size


class PagesPastTheEnd(Paginator):
    """Django's paginator whose page past the last one is a page without rows (Django
    refuses it with ``EmptyPage``): a page of a collection is a collection, and JSON:API
    1.1 answers a collection 200 with ``[]`` when nothing is in it ("Fetching Resources",
    200 OK); its 404 is for a single resource that does not exist."""

    def validate_number(self, number) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            number = int(number)
            if number < 1:
                raise
            return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        if number > self.num_pages:
            return self._get_page(self.object_list[:0], number, self)  # no SQL
        return super().page(number)


class Pagination(JsonApiPageNumberPagination):
    """Pages of a list by the request's checked ``page[number]`` and ``page[size]``
    (:mod:`backend.jsonapi.query`: default ``GRAPHQL_DEFAULT_PAGE_SIZE``, above
    ``GRAPHQL_MAX_PAGE_SIZE`` an error naming the limit, never cut silently); a page past
    the last one is 200 with ``data: []`` (:class:`PagesPastTheEnd`), ``meta.pagination``
    (the number asked, the pages, the count) and the links ``first``, ``last``, ``prev``
    (the last page, which is page 1, empty, when the collection is) and ``next`` null
    (JSON:API 1.1 "Pagination": a link that is unavailable is null)."""

    django_paginator_class = PagesPastTheEnd

    def get_page_size(self, request) -> int:
        return page_size(request.jsonapi_query)

    def get_page_number(self, request, paginator) -> int:
        return request.jsonapi_query.page_number or 1

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        paginator = self.page.paginator
        if self.page.number > paginator.num_pages:  # an empty collection has 1 (empty) page
            response.data["links"]["prev"] = self.build_link(paginator.num_pages)
        return response
