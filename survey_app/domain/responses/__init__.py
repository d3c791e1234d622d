"""What households give: codes (`codes`), the survey form and saving an answer (`survey`), the
running per-dimension totals kept in the same transaction (`totals`), and coverage of the visits
(`coverage`).

May import models, `access`, `errors`, `clock`, `stats.scoring`, `audit`, and
`rectification.residents` (a household's follow-up request is saved with its answers); never
`web`, never commits.
"""
