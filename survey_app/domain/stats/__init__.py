"""Figures: scoring a response (`scoring`), ranking units fairly (`ranking`), aggregates for every
level (`aggregates`), the pages' and workbooks' reports built from them (`reports`,
`company_report`, `benchmark`), the change from the previous round and a rectification item's
score in the next (`rounds`), the share of respondents naming each problem category
(`categories`), what residents wrote (`comments`; `adverts` tells advertising apart), what may be
shown to whom (`privacy`), and the method's terms in plain words (`glossary`).

May import models, `access` (for `Area`) and `clock`; never `web` or `xlsx`, never writes.
"""
