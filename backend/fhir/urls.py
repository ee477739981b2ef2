"""URLs of the FHIR surface, mounted at ``/fhir/`` by ``backend.urls``."""

from django.urls import path

from backend.fhir import metadata, views

urlpatterns = [
    path("metadata", metadata.MetadataView.as_view(), name="fhir-metadata"),
    path("<str:resource_type>", views.TypeView.as_view(), name="fhir-type"),
    path("<str:resource_type>/_search", views.SearchView.as_view(), name="fhir-search"),
    path("<str:resource_type>/<str:key>", views.InstanceView.as_view(), name="fhir-instance"),
    path("<str:resource_type>/<str:key>/_history", views.HistoryView.as_view()),
    path("<str:resource_type>/<str:key>/_history/<str:version>", views.VersionView.as_view()),
]
