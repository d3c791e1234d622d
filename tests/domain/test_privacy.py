import pytest

from survey_app.domain.stats.privacy import mask


@pytest.mark.parametrize("text, hidden, marker", [
    ("物业电话打不通，我的手机13812345678", "13812345678", "[手机号已隐藏]"),
    ("手机 138 1234 5678 请回电", "1234 5678", "[手机号已隐藏]"),
    ("全角号码１３９１２３４５６７８", "１３９", "[手机号已隐藏]"),
    ("身份证370402199001011234", "370402199001011234", "[身份证号已隐藏]"),
    ("座机0632-1234567", "1234567", "[电话已隐藏]"),
    ("邮箱 zhang.san@example.com", "zhang.san@example.com", "[邮箱已隐藏]"),
    ("加我微信：zhangsan_88", "zhangsan_88", "[联系方式已隐藏]"),
    ("我住3号楼2单元502室，楼道灯坏了", "502", "[门牌已隐藏]"),
    ("1201室漏水", "1201", "[门牌已隐藏]"),
])
def test_contact_details_and_doors_are_masked(text, hidden, marker):
    out = mask(text)
    assert hidden not in out and marker in out


def test_ordinary_text_is_kept():
    text = "垃圾清运不及时，希望每天清两次；停车位不够，晚上8点以后很乱。"
    assert mask(text) == text
