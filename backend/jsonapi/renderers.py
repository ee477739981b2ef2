"""The JSON:API renderer: DRF-JSON:API's, with sparse fieldsets read in the API's field
names.

DRF-JSON:API 8.1 filters the fields it renders by ``fields[TYPE]`` comparing the names
as sent (``payerType``) with the serializer's (``payer_type``), so every attribute whose
name the configured format (``JSON_API_FORMAT_FIELD_NAMES``: camelCase) changes was
dropped (upstream issue django-json-api/django-rest-framework-json-api#1053, the fix
pending in its pull request #1286). The query string's check
(:mod:`backend.jsonapi.query`) already accepts exactly the formatted names.
"""

from __future__ import annotations

from typing import Any

from rest_framework.relations import HyperlinkedIdentityField
from rest_framework.settings import api_settings
from rest_framework_json_api import renderers
from rest_framework_json_api.utils import undo_format_field_name


class JSONRenderer(renderers.JSONRenderer):
    """DRF-JSON:API's renderer whose sparse fieldsets name fields as the API shows them."""

    @classmethod
    def _filter_sparse_fields(cls, serializer: Any, fields: dict, resource_name: str) -> dict:
        request = serializer.context.get("request")
        asked = request.query_params.get(f"fields[{resource_name}]") if request else None
        if asked is None:
            return fields
        wanted = {undo_format_field_name(name) for name in asked.split(",")}
        return {
            name: field
            for name, field in fields.items()
            if field.field_name in wanted
            # the self link (a URL field) is a link, not a field of the fieldset
            or (
                field.field_name == api_settings.URL_FIELD_NAME
                and isinstance(field, HyperlinkedIdentityField)
            )
        }
