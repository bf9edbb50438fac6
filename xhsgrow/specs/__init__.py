"""Campaign specs: models of the three kinds, loading with precise errors, scaffolds, fmt.

Public API::

    from xhsgrow.specs import load_spec, check_file, new_spec, json_schema
"""

from xhsgrow.specs.loader import check_file, load_spec
from xhsgrow.specs.store import (
    ValidationReport,
    init_workspace,
    json_schema,
    load_campaigns,
    new_spec,
    validate_paths,
    write_schemas,
)

__all__ = [
    "ValidationReport",
    "check_file",
    "init_workspace",
    "json_schema",
    "load_campaigns",
    "load_spec",
    "new_spec",
    "validate_paths",
    "write_schemas",
]
