"""Adapters: concrete implementations of the domain's ports (torch, SQLAlchemy, matplotlib)."""
