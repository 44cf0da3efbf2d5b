"""Jinja2 templates shipped with reviewpatch (HTML report, reply)."""
