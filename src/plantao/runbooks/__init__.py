"""Runbooks: Markdown playbooks, their linter, library, ranker and guarded executable steps."""
