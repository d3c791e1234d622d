"""Advertising pasted into a text box: found on the text as written (before masking), so that it is
never shown to a company nor listed among officers' comments, only counted (docs/comments.md).

Three kinds, each with the reason `is_advert` gives:

* solicitation: a way to reach someone (phone, WeChat, QQ, link, e-mail) with words that sell — one
  that only an advert uses (办证, 兼职, 贷款...), or enough selling words (专业开锁, 上门保洁, 优惠...)
  net of a complaint's words (物业, 投诉, 电梯...). A complaint that gives a phone number ("物业电话
  12345678 打不通", "电梯坏了请联系138…", "装修太吵，咨询物业没用") is not an advert;
* a list of places with service words ("北京 上海 广州 深圳 办证 刻章");
* repeated text: one phrase of 4+ characters written 3+ times making up a good part of the text, or a
  text that is mostly one chunk over and over ("好评好评好评好评").
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from .privacy import CONTACTS, EMAIL, HANDLE, LINK, mask

SOLICITING = _l("招揽广告（附联系方式或链接）")
PLACES = _l("罗列地名的服务广告")
REPEATED = _l("重复刷屏")

# Words only an advert uses.
_ADVERT_ONLY = re.compile(
    "招聘|兼职|贷款|网贷|借款|下款|代办|办证|刻章|代开|开发票|刷单|日结|套现|提额|加盟|招商|诚招|高薪|返利|返现|"
    "注册公司|代理记账|无抵押|彩票|博彩|棋牌|代孕")
# Services sold door to door (a complaint names them too: 装修太吵).
_SERVICE = re.compile(
    "装修|保洁|开锁|换锁|疏通|搬家|家政|回收|清洗|甲醛|补漏|防水|月嫂|保姆|家电维修|空调加氟|二手房|中介|"
    "除虫|灭鼠|搬运|跑腿|代驾|培训|辅导")
# Words that sell: strongly (优惠, 随叫随到) or weakly (专业, 咨询: a complaint may use them).
_SELLING = re.compile(
    "优惠|特价|促销|低价|折扣|打折|实惠|随叫随到|有意者|私聊|接单|包过|保过|报价|全城|加微信|加我|加[vV]|联系我|"
    "24小时|上门服务|服务热线|扫码|欢迎来电|欢迎咨询")
_WEAK_SELLING = re.compile("咨询|欢迎|专业|诚信|免费|上门|价格|致电|热线|私信")
# Words of a complaint: a text with them gives a phone number to be called back, not to sell.
_COMPLAINT = re.compile("物业|投诉|反映|业主|小区|楼道|电梯|没人|不管|太差|希望|建议|问题|噪音|扰民|坏了|漏水")
# Places an advert lists (cities and provinces).
_PLACE = re.compile(
    "北京|上海|天津|重庆|广州|深圳|杭州|南京|苏州|武汉|成都|西安|郑州|长沙|济南|青岛|沈阳|大连|哈尔滨|长春|"
    "石家庄|太原|合肥|福州|厦门|南昌|南宁|昆明|贵阳|海口|兰州|银川|西宁|乌鲁木齐|拉萨|呼和浩特|宁波|无锡|"
    "东莞|佛山|温州|泉州|烟台|潍坊|临沂|济宁|枣庄|淄博|徐州|常州|珠海|惠州|中山|全国|各地|"
    "河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|广西|海南|四川|贵州|云南|"
    "陕西|甘肃|青海|内蒙古|宁夏|新疆|西藏")
_OUT = re.compile(r"[\W_]+")  # what repetition ignores: spaces and punctuation
_PHRASE_THRICE = re.compile(r"(.{4}).*?\1.*?\1", re.S)
_RUN = re.compile(r"(.{1,20}?)\1{2,}", re.S)
_CHECKED = 2000  # characters looked at for repetition
_TRIES = 10  # phrases tried


def is_advert(text: str) -> str | None:
    """Why a resident's text looks like advertising (SOLICITING, PLACES, REPEATED), or None."""
    if not text:
        return None
    advert_only = len(set(_ADVERT_ONLY.findall(text)))
    selling = (len(set(_SERVICE.findall(text))) + 2 * len(set(_SELLING.findall(text)))
               + len(set(_WEAK_SELLING.findall(text))))
    if advert_only or selling:
        if len(set(_PLACE.findall(text))) >= 3:
            return PLACES
        if _soliciting(text, advert_only, selling - min(2, len(set(_COMPLAINT.findall(text))))):
            return SOLICITING
    if _repeated(_OUT.sub("", text)[:_CHECKED]):
        return REPEATED
    return None


def _soliciting(text: str, advert_only: int, selling: int) -> bool:
    """Selling words with a way to reach the seller: any advert-only word; selling words (a service
    counts 1, a strong selling word 2, a weak one 1, less 1 for each complaint word up to 2) worth 1
    with a WeChat, QQ, link or e-mail, or worth 2 with a phone number."""
    masked = mask(text)
    contacts = {c for c in CONTACTS if c in masked}
    if not contacts:
        return False
    if advert_only:
        return True
    return selling >= (1 if contacts & {HANDLE, LINK, EMAIL} else 2)


def _repeated(text: str) -> bool:
    """One phrase of 4+ characters three times or more, covering a third of the text or more; or one
    chunk repeated over most of a text of 8 characters or more."""
    n = len(text)
    if n < 8:
        return False
    run = max((len(m.group(0)) for m in _RUN.finditer(text)), default=0)
    if run >= 0.6 * n:
        return True
    start = 0
    for _ in range(_TRIES):
        found = _PHRASE_THRICE.search(text, start)
        if found is None:
            return False
        phrase = _longest(text, found.group(1))
        if text.count(phrase) * len(phrase) >= n / 3:
            return True
        start = found.start() + 1
    return False


def _longest(text: str, phrase: str) -> str:
    """The phrase grown to the right while it still occurs three times."""
    while len(phrase) < len(text):
        at = text.find(phrase)
        longer = text[at:at + len(phrase) + 1]
        if len(longer) == len(phrase) or text.count(longer) < 3:
            break
        phrase = longer
    return phrase


ADVERT_SHOWN = "[疑似广告，未显示]"  # in place of an advert where a text must be said (a request's words)


def shown_text(text: str | None) -> str | None:
    """A resident's text as anyone may read it: masked, or None when it looks like advertising."""
    if not text or is_advert(text) is not None:
        return None
    return mask(text)
