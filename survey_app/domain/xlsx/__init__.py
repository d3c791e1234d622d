"""Excel workbooks: the generic helpers every workbook uses (`common`: safe cells, tables, styles),
then one module per workbook (`ranking`, `company`, `rectification`, `codes`, `questionnaire`).

May import models, `stats` and `printing.selection` for the rows they write, `campaigns` for the
questionnaire; never `web`.
"""
