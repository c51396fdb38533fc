"""The severity matrix in force: the configured document compiled once per configuration
revision.

The document belongs to the catalog (it is configuration); what it means belongs here, with the
pure matrix (``incidents.severity``). Compiling parses every rule's matchers, so it is cached by
the revision that ``plantao apply`` replaces on every change.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from plantao.catalog import service as catalog_service
from plantao.catalog.service import RoutingTable
from plantao.incidents.severity import SeverityMatrix, matrix_from_document

# Revisions are random tokens (``catalog.service.revision``), unique across databases.
_compiled: dict[str, SeverityMatrix] = {}
_lock = threading.Lock()


def matrix_of(table: RoutingTable) -> SeverityMatrix:
    """The matrix of the same revision as a routing table (intake reads both together)."""
    found = _compiled.get(table.revision) if table.revision else None
    if found is not None:
        return found
    matrix = matrix_from_document(table.matrix_document)
    if table.revision:
        with _lock:
            if len(_compiled) > 64:  # revisions of databases this process no longer reads
                _compiled.clear()
            _compiled[table.revision] = matrix
    return matrix


def severity_matrix(session: Session) -> SeverityMatrix:
    """The matrix in force for this database."""
    return matrix_of(catalog_service.routing_table(session))
