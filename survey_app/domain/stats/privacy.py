"""What may be shown of residents' answers, to anyone: no figure of a small group, free text masked.

The one rule for small groups: a group of fewer than MIN_GROUP responses (a compound, a building,
a company in an area, a dimension of one of them...) shows no figure, chart, list, comment or
download cell, to any staff role and any company, because a handful of answers identifies the
households who gave them. Counts of households and of responses (coverage) are not answers and
stay. `guard` marks the statistics the aggregates produce so that their figures read None below
the threshold (fail closed: a page or workbook that forgets to ask still shows nothing); pages and
workbooks ask `shown` to say why, in `WITHHELD`.

Free text passes `mask` before anyone reads it: phone, ID, QQ and WeChat numbers, e-mail, links and
door numbers in any way residents write them become a marker; a person's surname becomes 某.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

# Full-width digits, letters and @ + - . / _ as ASCII, so "１３９…" is found too; other punctuation is left alone.
_HALF = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_HALF.update({cp: cp - 0xFEE0 for cp in list(range(0xFF21, 0xFF3B)) + list(range(0xFF41, 0xFF5B))})
_HALF.update({ord(c): ord(c) - 0xFEE0 for c in "＠＋－．／＿"})
MIN_GROUP = 5  # no figure and no comment for a group of fewer responses
WITHHELD = _l("样本不足 %(n)s 份，不显示", n=MIN_GROUP)  # what a page or workbook says in place of a figure


def shown(stats) -> bool:
    """Whether a group's figures and comments may be shown (to anyone)."""
    return stats is not None and stats.n >= MIN_GROUP


def guard(stats):
    """Mark statistics of a group of responses: below MIN_GROUP their figures read None."""
    stats.min_shown = MIN_GROUP
    return stats


# Digits as residents type them: ASCII (full-width is folded first) or Chinese numerals read one by one.
_D = "[0-9〇零一二三四五六七八九幺两]"
_SEP = r"[\s\-.·—]{0,2}"  # between digits: spaces, dashes, dots, or nothing
# A building, unit or floor number: digits, or Chinese numerals counted (十二) or read (一零).
_N = r"(?:\d{1,4}|[零〇一二两三四五六七八九十百]{1,4})"
_ROOM = r"(?:\d{3,4}|[零〇一二三四五六七八九]{3,4})"  # a room: 502, 1203, 五零二
# A room number ends a door: not money, a count, a time or a date (5号 300元, 3楼 100多人).
_ROOM_END = r"(?:\s*(?:室|号房|号))?(?![\d元块%％.:：次个年月日点分米平岁人户路线楼层多余来]|天(?!天))"
_BUILDING = rf"(?:[A-Za-z]|{_N})\s*(?:号楼|号?栋|号?幢|号?座|号院|号)"

# Common surnames. Characters that more often start a word than a name in residents' text (于是, 管理,
# 解决, 卫生, 任何, 明天...) are left out; those kept that start common words are guarded by _NOT_NAME.
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘蒋蔡余杜叶程"
             "苏魏吕丁沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
             "邵万钱严覃武戴莫孔汤常温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘"
             "祝包宁符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝辛靳柴蒙鲍华喻祁蒲滕屈饶牟"
             "艾尤穆卓古吉缪项芦麦褚娄窦戚岑宫卜晏席柏宗瞿桂佟臧闵苟邬卞姬仇栾隋荣巫寇桑郎甄丛仲虞敖巩佘邝")
# A surname character after these characters is part of a word before a role (工程师傅, 园林师傅, 甲方经理).
_BLOCKED = {"程": "工过课", "华": "中", "林": "园树森", "方": "甲乙对双各官地", "谢": "感多答致", "何": "任如为",
            "史": "历", "康": "健", "童": "儿", "丁": "园", "顾": "照回光", "戚": "亲", "易": "贸容交", "施": "设实措",
            "常": "日正经非", "金": "押租资", "许": "允也", "李": "行"}
_SURNAME = ("(?:欧阳|司马|诸葛|上官|[" + "".join(c for c in _SURNAMES if c not in _BLOCKED) + "]|"
            + "|".join(f"(?<![{before}]){c}" for c, before in _BLOCKED.items()) + ")")
# Surnames that read as a name after 小/老 (小王, 老李) and seldom start a word there (not 小时, 老毛病).
_FAMILIAR = "王李张刘陈杨赵吴徐郭罗郑梁谢宋唐韩冯邓曹彭曾蔡潘袁蒋杜魏吕沈崔谭陆汪廖贾邹孟秦邱侯尹薛闫贺"
_ROLES = ("经理|师傅|阿姨|大姐|大哥|大爷|大妈|大叔|叔叔|奶奶|爷爷|姐|哥|叔|姨|先生|女士|小姐|老师|主任|书记|"
          "队长|班长|组长|主管|管家|总(?![共是体结之算部计额])|医生|律师|警官|会计|老板")
# Words that start with a surname character and are not names (业主张贴, 管家周末, 保安马上, 我是江苏人).
_NOT_NAME = ("高兴|高度|高层|高峰|高温|高空|高价|王府井|张贴|张开|周末|周围|周边|周[一二三四五六日]|周期|黄色|林木|马上|马路|"
             "常常|常年|方便|方面|方法|方向|方案|万一|包括|毛病|金额|夏天|温度|施工|项目|毕竟|凌晨|舒服|符合|左边|申请|颜色|"
             "严重|严格|顾客|龙头|江苏|江西|甘肃|宁夏|石头|范围|陆续|程序|叶子|杜绝|曾经|许多|谢谢|何时|胡乱|陈旧|孙子|"
             "宁可|宁愿|古代|华丽|柏油|蓝色|易燃|苗木|童车|季度|毛坯|齐全|盛夏|欧式|康复|牛奶|巩固|宗旨")
_NAME_CUE = r"(?:我叫|我是|名叫|叫做|姓名|联系人|业主|保安|管家|租户|住户)"
# A given name's character: Chinese, but not a word that ends the name (张三说, 李四的).
_GIVEN = r"(?:(?![说的了在是和与及对也都就要已反投问讲称打来去让把被给向等从住家楼电手号很太挺真不没又还才只])[\u4e00-\u9fff])"

# The markers of a way to reach someone (adverts.is_advert looks for them); ID numbers and doors are not.
PHONE, LANDLINE, HANDLE, LINK, EMAIL = "[手机号已隐藏]", "[电话已隐藏]", "[联系方式已隐藏]", "[网址已隐藏]", "[邮箱已隐藏]"
CONTACTS = (PHONE, LANDLINE, HANDLE, LINK, EMAIL)
_DIGIT = "[0-9]"
# (gate, pattern, marker): a rule runs only on a text where its gate (a cheap character search) is found.
_RULES = [
    # e-mail (ASCII local part, so the Chinese before it stays): zhang.san@example.com
    ("@", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), EMAIL),
    # links: http(s)://…, www.…, bare domains (abc.com/xx, t.cn/xx), up to a space or Chinese text
    (r"\.", re.compile(r"(?:https?://|www\.)[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+"
                r"|(?<![A-Za-z0-9.@-])(?:[A-Za-z0-9-]+\.)+(?:com|cn|net|org|top|xyz|vip|cc|me|info|io|co|shop|site|"
                r"online|club|ltd|wang|link|tv|la|ly)(?![A-Za-z0-9-])(?:/[!-~]*)?", re.I), LINK),
    # ID numbers: 18 digits (the last may be X), with or without spaces/dashes; 15-digit old ones
    (_DIGIT, re.compile(r"(?<![0-9A-Za-z])\d(?:[\s-]?\d){16}[\s-]?[\dXx](?![0-9A-Za-z])|(?<!\d)\d{15}(?!\d)"),
     "[身份证号已隐藏]"),
    # mobiles, +86/0086 optional, digits or Chinese numerals, spaced, dashed or dotted: 一三九 一二三四 五六七八
    ("[0-9一幺]", re.compile(rf"(?<![0-9])(?:(?:\+|00)?86{_SEP})?[1一幺]{_SEP}[3-9三四五六七八九](?:{_SEP}{_D}){{9}}(?![0-9])"),
     PHONE),
    # landlines with an area code (0632-1234567, (010)12345678) and service numbers (400-123-4567)
    (_DIGIT, re.compile(r"(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3})[\s-]?\d{7,8}(?![0-9])"
                r"|(?<![0-9])[48]00[\s-]?\d{3}[\s-]?\d{4}(?![0-9])"), LANDLINE),
    # a bare 7-8 digit number right after a word for telephone: 电话 12345678
    (_DIGIT, re.compile(r"(电话|座机|热线|号码|手机|拨打|致电|打)(\s*[:：]?\s*)\d(?:[\s-]?\d){6,7}(?![0-9])"),
     r"\1\2" + LANDLINE),
    # WeChat ids after 微信/微信号/vx/v信/威信/加V/wx: 加我微信：zhangsan_88
    ("[信vVwWxX]", re.compile(r"(?:微信号?|薇信|威信|v信|(?<![a-z])(?:vx|wx|weixin)|加我?\s*v(?![a-z])|[+＋]\s*v(?![a-z]))"
                r"\s*(?:号|id)?\s*[:：]?\s*[a-z0-9][-_a-z0-9]{4,19}", re.I), HANDLE),
    # QQ numbers (5-11 digits) after QQ/扣扣/企鹅: QQ 12345678
    ("[qQ扣企]", re.compile(rf"(?:(?<![a-z])qq|扣扣|企鹅)\s*号?\s*[:：]?\s*[1-9一二三四五六七八九](?:{_SEP}{_D}){{4,10}}(?![0-9])",
                re.I), HANDLE),
    # doors with dashes: 3-2-502 (not a date: 2026-11-30, 11-30-2026)
    (_DIGIT, re.compile(r"(?<![\d-])\d{1,3}\s*[-—]\s*\d{1,2}\s*[-—]\s*(?!(?:19|20)\d\d(?!\d))\d{3,4}(?![\d-])"),
     "[门牌已隐藏]"),
    # doors in words: 3栋2单元502, 三号楼二单元五零二, 十二栋1单元1203, B座1203, 2单元502, 5楼502, 502室
    ("[室楼栋幢座单层号]", re.compile(rf"(?:{_BUILDING}\s*(?:{_N}\s*单元)?\s*(?:{_N}\s*[楼层])?\s*{_ROOM}{_ROOM_END}"
                rf"|{_N}\s*单元\s*(?:{_N}\s*[楼层])?\s*{_ROOM}{_ROOM_END}"
                rf"|(?<![0-9]){_N}\s*[楼层]\s*{_ROOM}{_ROOM_END}"
                rf"|(?<![0-9]){_ROOM}\s*(?:室|号房))"), "[门牌已隐藏]"),
    # names with a role: 王经理 → 某经理, 张师傅 → 某师傅 (the role stays)
    (None, re.compile(rf"{_SURNAME}(?={_ROLES})"), "某"),
    # familiar names: 小王 → 小某, 老李 → 老某 (not 小王子, 老杨树)
    ("[小老]", re.compile(rf"(?<=[小老])[{_FAMILIAR}](?![子女头板师家房区树])"), "某"),
    # a name after a cue: 我叫张伟, 联系人：李明, 业主王建国 → 某某; 我姓王 → 我姓某
    ("[叫是姓联业保管租住]", re.compile(rf"({_NAME_CUE}\s*[:：]?\s*)(?!{_NOT_NAME}){_SURNAME}{_GIVEN}{{1,2}}"), r"\1某某"),
    ("姓", re.compile(rf"(?<!百)(?<=姓){_SURNAME}"), "某"),
]

_COMPILED = [(re.compile(gate) if gate else None, pattern, marker) for gate, pattern, marker in _RULES]


def mask(text: str) -> str:
    """Replace phone and ID numbers, e-mail, links, messenger ids and door numbers with a marker, and
    a person's surname with 某 (王经理 → 某经理)."""
    out = text.translate(_HALF)
    for gate, pattern, marker in _COMPILED:
        if gate is None or gate.search(out):
            out = pattern.sub(marker, out)
    return out
