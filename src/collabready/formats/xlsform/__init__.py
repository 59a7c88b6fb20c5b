"""The questionnaire as an XLSForm spreadsheet, written and read back losslessly.

:func:`write_xlsform` writes an instrument in XLSForm layout (sheets
``survey``, ``choices``, ``settings``, plus ``cri``, ``cri_actions`` and
``cri_levels`` for what XLSForm has no column for); :func:`read_xlsform` reads
such a workbook back into an instrument through the same two-stage validation
as an instrument file, naming the sheet, row and column of every problem.
See docs/xlsform.md.
"""

from collabready.formats.xlsform.cells import Cell
from collabready.formats.xlsform.read import XlsformResult, document_yaml, read_xlsform
from collabready.formats.xlsform.write import instrument_workbook, write_xlsform

__all__ = [
    "Cell",
    "XlsformResult",
    "document_yaml",
    "instrument_workbook",
    "read_xlsform",
    "write_xlsform",
]
