import pytest

from survey_app.domain.stats.privacy import mask


@pytest.mark.parametrize("text, hidden, marker", [
    # mobiles in any form
    ("物业电话打不通，我的手机13812345678", "13812345678", "[手机号已隐藏]"),
    ("手机 138 1234 5678 请回电", "1234 5678", "[手机号已隐藏]"),
    ("电话138-1234-5678", "1234-5678", "[手机号已隐藏]"),
    ("电话138.1234.5678", "1234.5678", "[手机号已隐藏]"),
    ("全角号码１３９１２３４５６７８", "１３９", "[手机号已隐藏]"),
    ("全角空格 １３９ １２３４ ５６７８", "５６７８", "[手机号已隐藏]"),
    ("打我电话一三九 一二三四 五六七八", "五六七八", "[手机号已隐藏]"),
    ("幺三八零零零零幺二三四有事找我", "零零零零", "[手机号已隐藏]"),
    ("+86 138 1234 5678", "1234 5678", "[手机号已隐藏]"),
    ("0086-13812345678", "13812345678", "[手机号已隐藏]"),
    # landlines and service numbers
    ("座机0632-1234567", "1234567", "[电话已隐藏]"),
    ("(010)12345678 找管家", "12345678", "[电话已隐藏]"),
    ("物业电话 12345678 打不通", "12345678", "[电话已隐藏]"),
    ("客服热线400-123-4567", "123-4567", "[电话已隐藏]"),
    # ID numbers
    ("身份证370402199001011234", "370402199001011234", "[身份证号已隐藏]"),
    ("证件号 370402 19900101 123X", "19900101", "[身份证号已隐藏]"),
    ("身份证37040219900101123x", "123x", "[身份证号已隐藏]"),
    # WeChat and QQ
    ("加我微信：zhangsan_88", "zhangsan_88", "[联系方式已隐藏]"),
    ("微信号 wxid_abc123 有事联系", "abc123", "[联系方式已隐藏]"),
    ("vx: abc12345", "abc12345", "[联系方式已隐藏]"),
    ("VX：Hello_2026", "Hello_2026", "[联系方式已隐藏]"),
    ("v信abc12345", "abc12345", "[联系方式已隐藏]"),
    ("威信 hello123", "hello123", "[联系方式已隐藏]"),
    ("加V abc12345", "abc12345", "[联系方式已隐藏]"),
    ("wx:abcdef1", "abcdef1", "[联系方式已隐藏]"),
    ("QQ 12345678", "12345678", "[联系方式已隐藏]"),
    ("qq号：1234567890", "1234567890", "[联系方式已隐藏]"),
    ("扣扣：987654321", "987654321", "[联系方式已隐藏]"),
    # e-mail and links
    ("邮箱 zhang.san@example.com", "zhang.san@example.com", "[邮箱已隐藏]"),
    ("发到１２３４５＠ｑｑ．ｃｏｍ", "qq", "[邮箱已隐藏]"),
    ("详情见https://example.com/a?b=1 看看", "example.com", "[网址已隐藏]"),
    ("打开 www.baidu.com 搜", "baidu", "[网址已隐藏]"),
    ("点abc.com/xx领取", "abc.com", "[网址已隐藏]"),
    ("短链t.cn/A6xyZ9", "A6xyZ9", "[网址已隐藏]"),
    # door numbers in any form
    ("我住3号楼2单元301室，楼道太脏", "301", "[门牌已隐藏]"),
    ("1201室漏水", "1201", "[门牌已隐藏]"),
    ("3-2-502家漏水", "502", "[门牌已隐藏]"),
    ("3栋2单元502", "502", "[门牌已隐藏]"),
    ("3号楼502室的楼上", "502", "[门牌已隐藏]"),
    ("三号楼二单元五零二", "五零二", "[门牌已隐藏]"),
    ("十二栋1单元1203", "1203", "[门牌已隐藏]"),
    ("B座1203天天装修", "1203", "[门牌已隐藏]"),
    ("2单元502噪音大", "502", "[门牌已隐藏]"),
    ("5楼502的狗", "502", "[门牌已隐藏]"),
    ("１２号楼３单元６０１", "６０１", "[门牌已隐藏]"),
])
def test_contact_details_and_doors_are_masked(text, hidden, marker):
    out = mask(text)
    assert hidden not in out and marker in out, out


@pytest.mark.parametrize("text, masked", [
    ("王经理不接电话", "某经理不接电话"),
    ("张师傅修得很好", "某师傅修得很好"),
    ("李阿姨打扫很干净", "某阿姨打扫很干净"),
    ("刘姐态度差", "某姐态度差"),
    ("陈先生和赵女士都投诉过", "某先生和某女士都投诉过"),
    ("工程部的程师傅来过", "工程部的某师傅来过"),
    ("小王说明天来修，老李也知道", "小某说明天来修，老某也知道"),
    ("我叫张伟，住这里十年", "我叫某某，住这里十年"),
    ("我是李明", "我是某某"),
    ("姓名：王小红", "姓名：某某"),
    ("联系人：赵强", "联系人：某某"),
    ("业主王建国反映多次", "业主某某反映多次"),
    ("保安张军很负责", "保安某某很负责"),
    ("管家周丽说会处理", "管家某某说会处理"),
    ("我姓王", "我姓某"),
])
def test_a_persons_surname_is_masked_and_the_role_stays(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "垃圾清运不及时，希望每天清两次；停车位不够，晚上8点以后很乱。",
    "2026-11-30 报修，2026年11月30日还没修好，11-30-2026",
    "每晚19:30以后广场舞很吵，持续两个月了，找了3次",
    "物业费一年1800元，涨了300元，停车费每月150块",
    "满意率只有45%，坐5号线过来要40分钟",
    "高兴的是王府井那边的商场，张贴的通知周末就撤了，黄色的林木马上要修剪，常常没人管",
    "业主张贴广告没人管，管家周末不在，保安马上来了",
    "门卫大爷和保安师傅都很好，保洁阿姨很辛苦，项目经理和总经理没露面",
    "工程师傅修得快，小区经理也不错，园林师傅和甲方经理也来了",
    "感谢阿姨，历史老师和健康管家都说儿童医生很好",
    "小区300户只有一部电梯，3号楼电梯坏了，2单元的灯也不亮",
    "一共三栋楼，一楼大厅很脏，5楼以上没水",
    "11月5号交了300元，等了1个小时",
    "我是江苏人，业主和物业沟通很差，老毛病了",
    "三室一厅的户型，100平米",
])
def test_ordinary_text_is_kept(text):
    assert mask(text) == text


def test_masking_is_idempotent():
    text = "我叫张伟，电话13812345678，住3-2-502，微信abc12345，王经理不管"
    once = mask(text)
    assert mask(once) == once
    assert once == "我叫某某，电话[手机号已隐藏]，住[门牌已隐藏]，[联系方式已隐藏]，某经理不管"


def test_a_guarded_group_under_five_has_counts_but_no_figures():
    from survey_app.domain.stats.privacy import MIN_GROUP, guard, shown
    from survey_app.domain.stats.scoring import UnitStats

    few = guard(UnitStats.from_scores(1, [40, 60, 80, 90], households=10, overall=[5, 4, 2, 1]))
    assert few.withheld and not shown(few)
    assert few.mean is None and few.interval is None and few.std_error is None and few.satisfaction_rate is None
    assert few.n == 4 and few.households == 10 and few.coverage == 0.4  # counts are not answers
    enough = guard(UnitStats.from_scores(1, [40, 60, 80, 90, 70], households=10, overall=[5, 4, 2, 1, 4]))
    assert enough.n == MIN_GROUP and not enough.withheld and shown(enough)
    assert enough.mean == 68.0 and enough.interval is not None and enough.satisfaction_rate == 0.6
    plain = UnitStats.from_scores(1, [40, 60], households=10)  # arithmetic, not a page's figure
    assert not plain.withheld and plain.mean == 50.0


def test_a_guarded_unit_under_five_is_not_ranked_and_hides_the_scope_mean(app):
    from survey_app.domain.stats.privacy import guard
    from survey_app.domain.stats.ranking import rank_units
    from survey_app.domain.stats.scoring import UnitStats

    units = [guard(UnitStats.from_scores(1, [90, 95, 100], households=10, label="few")),
             guard(UnitStats.from_scores(2, [50], households=10, label="one"))]
    with app.test_request_context():
        ranking = rank_units(units, min_responses=2, min_coverage=0.0)
        assert not ranking.ranked and ranking.scope_mean is None
        assert all(r.reason == "样本不足 5 份，不显示" for r in ranking.rows)
        units.append(guard(UnitStats.from_scores(3, [60, 70, 80, 70, 60], households=10, label="ok")))
        ranking = rank_units(units, min_responses=2, min_coverage=0.0)
        assert [r.stats.label for r in ranking.ranked] == ["ok"] and ranking.scope_mean is not None
