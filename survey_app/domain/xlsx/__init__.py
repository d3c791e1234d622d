"""Excel workbooks: the generic helpers every workbook uses (`common`: safe cells, a title block
naming what, scope, campaign, date and issuing office, tables set up to print on A4, number
formats), then one module per workbook (`ranking`, `company`, `rectification`, `coverage`, `audit`,
`codes`, `questionnaire`). The questionnaire export is a form uploaded again, so its header stays in
the first row (no title block).

May import models, `stats` and `printing.selection` for the rows they write, `campaigns` for the
questionnaire, `access` for the issuing office (the user's jurisdiction); never `web`.
"""
