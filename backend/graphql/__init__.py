"""Shared GraphQL building blocks and the schema assembly of the core."""
