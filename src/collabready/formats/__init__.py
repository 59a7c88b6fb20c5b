"""File formats: response and score tables (Parquet, CSV); the labelled exports, the
codebook, imports from other survey tools (``imports``) and XLSForm (``xlsform``)."""

from collabready.formats.responses import (
    check_output_table,
    check_table_suffix,
    read_table,
    write_table,
)

__all__ = ["check_output_table", "check_table_suffix", "read_table", "write_table"]
