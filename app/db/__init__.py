"""Persistence: the declarative base, engine/session handling and the ORM models."""
