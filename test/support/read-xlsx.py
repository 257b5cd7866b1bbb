# Reads an XLSX with openpyxl (a reader the project did not write) and prints its sheets as
# JSON: name, frozen cell, and per row the cells' value, number format and boldness.
import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
sheets = []
for ws in book.worksheets:
    rows = [[{'v': c.value, 'fmt': c.number_format, 'bold': bool(c.font and c.font.b)} for c in row] for row in ws.iter_rows()]
    sheets.append({'name': ws.title, 'freeze': ws.freeze_panes, 'rows': rows})
print(json.dumps(sheets, ensure_ascii=False, default=str))
