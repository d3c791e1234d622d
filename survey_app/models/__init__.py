"""All models, importable from one place."""
from .api import ApiClient
from .audit import AuditEvent
from .campaigns import Campaign, Dimension, Question, QuestionOption, WordingChange
from .companies import Company
from .integrity import ResponseChange, ResponseSignal
from .jobs import Job
from .rectification import (RectificationConfirmation, RectificationEvent, RectificationItem, RectificationPhoto,
                             RectificationRequest)
from .regions import Building, Community, Compound, District, Household, Street
from .responses import Answer, AnswerChoice, HouseholdCode, Response
from .totals import CompoundTotal, DimensionTotal
from .users import User, UserGrid

__all__ = [
    "Answer", "AnswerChoice", "ApiClient", "AuditEvent", "Building", "Campaign", "Community", "Company", "Compound", "CompoundTotal",
    "Dimension", "DimensionTotal", "District",
    "Household", "HouseholdCode", "Job", "Question", "QuestionOption", "RectificationConfirmation", "RectificationEvent", "RectificationItem",
    "RectificationPhoto", "RectificationRequest", "Response", "ResponseChange", "ResponseSignal", "Street", "User",
    "UserGrid", "WordingChange",
]
