"""Campaigns and their questionnaires: the life of a campaign (`lifecycle`), the standard
questionnaire new campaigns start from (`standard`), the rules every questionnaire edit obeys
(`spec`). How a round compares with the previous one is a figure, in `stats.rounds`.

May import models, `access`, `errors` and `clock`; never `web`, `stats` or `xlsx`.
"""
