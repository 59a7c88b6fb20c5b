"""Imports of responses from another survey tool: a mapping file, checked rows, stored codes.

The pure part of ``collabready import`` and the back office's import page:
:func:`read_mapping` / :func:`mapping_from_text` check the mapping file,
:func:`plan_import` checks every row of the file and returns the codes to
store. The web layer (``collabready.web.surveys.services.imports``) writes
them in one transaction. See docs/imports.md.
"""

from collabready.formats.imports.mapping import (
    ImportMapping,
    ImportMappingError,
    Target,
    TargetKind,
    mapping_from_text,
    read_mapping,
)
from collabready.formats.imports.plan import (
    ImportPlan,
    ResponseImportError,
    file_sha256,
    plan_import,
    read_source,
)

__all__ = [
    "ImportMapping",
    "ImportMappingError",
    "ImportPlan",
    "ResponseImportError",
    "Target",
    "TargetKind",
    "file_sha256",
    "mapping_from_text",
    "plan_import",
    "read_mapping",
    "read_source",
]
