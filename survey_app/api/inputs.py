"""What the API reads from a request (query parameters and JSON bodies): marshmallow's fields and
validators with their messages in the request's language (Chinese unless Accept-Language asks for
English), so a problem's `errors` speak as its `detail` does. The schemas take their input fields
and validators from here; output fields need no messages.

Messages are lazy: marshmallow fills in {min}, {max}, {choices} when it refuses a value, in the
language of that request.
"""
from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l

_FIELD = {
    "required": _l("缺少必填项。"),
    "null": _l("不能为空值（null）。"),
    "validator_failed": _l("取值无效。"),
}


class Input(ma.Schema):
    """A query's or a body's schema: fields it does not know are ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    error_messages = {"type": _l("请求体须为 JSON 对象。")}


class _Said:
    """Makes a field's error in the request's language (marshmallow lists plain strings only)."""

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        message = self.error_messages.get(key)
        if message is None or isinstance(message, str):
            return super().make_error(key, **kwargs)
        return ma.ValidationError(str(message).format(**kwargs))


class String(_Said, ma.fields.String):
    default_error_messages = {**_FIELD, "invalid": _l("须为字符串。"), "invalid_utf8": _l("不是有效的 UTF-8 文本。")}


class Integer(_Said, ma.fields.Integer):
    default_error_messages = {**_FIELD, "invalid": _l("须为整数。"), "too_large": _l("数值太大。")}


class DateTime(_Said, ma.fields.DateTime):
    default_error_messages = {**_FIELD, "invalid": _l("须为 ISO 8601 时间，例如 2026-11-30T18:30:00+08:00。")}


def Range(low: int, high: int) -> ma.validate.Range:  # noqa: N802 (named as the validator it makes)
    return ma.validate.Range(low, high, error=_l("须在 {min} 到 {max} 之间。"))


def Length(low: int, high: int) -> ma.validate.Length:  # noqa: N802
    return ma.validate.Length(low, high, error=_l("长度须为 {min} 到 {max} 个字符。"))


def OneOf(choices) -> ma.validate.OneOf:  # noqa: N802
    return ma.validate.OneOf(choices, error=_l("须为以下之一：{choices}。"))


def Regexp(pattern, what) -> ma.validate.Regexp:  # noqa: N802
    """`what`: the form a value must have, said to the client (lazy gettext)."""
    return ma.validate.Regexp(pattern, error=what)
