"""Household codes on paper: which households a print covers (`selection`), the streamed PDF
label sheets (`labels`) and the QR encoder (`qr`).

May import models, `responses.codes` (issuing codes), `clock`, `errors`; never `web`.
"""
