"""Queries and multi-step changes shared by the routes."""
