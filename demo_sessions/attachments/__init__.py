"""Attachments in support threads (SPEC §10): upload parsing, storage, services and selectors."""
