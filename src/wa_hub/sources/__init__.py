"""Raw sources: the registry (what files, from where, under which licence) and one reader per format."""

from wa_hub.sources.example import Example
from wa_hub.sources.load import bench_examples, train_examples
from wa_hub.sources.registry import (
    ROLES,
    SOURCES,
    RawFile,
    Source,
    get_source,
    missing_files,
    require_files,
    select_sources,
)

__all__ = [
    "ROLES",
    "SOURCES",
    "Example",
    "RawFile",
    "Source",
    "bench_examples",
    "get_source",
    "missing_files",
    "require_files",
    "select_sources",
    "train_examples",
]
