"""What households give: codes (`codes`), the survey form and saving an answer (`survey`), the
running per-dimension totals kept in the same transaction (`totals`), and coverage of the visits
(`coverage`).

May import models, `access`, `errors`, `clock`, `stats.scoring`; never `web`, never commits.
"""
