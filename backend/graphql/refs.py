"""Namespace of registered GraphQL types, by GraphQL name.

Filled by :func:`backend.graphql.schema.build_schema`; :func:`backend.registry.ref`
resolves lazy references against it. Nothing is defined here by hand.
"""
