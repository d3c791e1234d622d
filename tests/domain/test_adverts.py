"""Advertising pasted into residents' text boxes is recognised; complaints that give a number are not."""
import pytest

from survey_app.domain.stats.adverts import PLACES, REPEATED, SOLICITING, is_advert


@pytest.mark.parametrize("text", [
    "加微信 abc12345 低价代办各类证件",
    "高薪兼职日结，加V：xyz888",
    "专业开锁换锁 疏通下水道 电话13812345678",
    "专业保洁上门服务，价格优惠，电话１３８ １２３４ ５６７８",
    "疏通下水道，24小时上门，电话138-1234-5678",
    "点击 www.example.com 领取优惠券",
    "无抵押贷款 当天下款 一三九 一二三四 五六七八",
    "小区附近开锁换锁，随叫随到 13812345678",
    "QQ 12345678 代开发票",
    "承接室内装修，价格实惠，欢迎来电 0632-1234567",
    "二手房出售，有意者私聊 vx: house_888",
    "少儿辅导欢迎咨询 t.cn/A6xyZ9",
])
def test_solicitation_with_a_contact_or_a_link_is_an_advert(text):
    assert is_advert(text) is SOLICITING


@pytest.mark.parametrize("text", [
    "北京 上海 广州 深圳 办证 刻章",
    "全国各地 北京 天津 杭州 代开发票",
    "济南、青岛、枣庄、临沂 专业疏通 上门服务",
])
def test_a_list_of_places_with_service_words_is_an_advert(text):
    assert is_advert(text) is PLACES


@pytest.mark.parametrize("text", [
    "好评好评好评好评好评",
    "物业太差物业太差物业太差",
    "装修找我 装修找我 装修找我，电话见头像",
    "哈哈哈哈哈哈哈哈哈哈",
    "刷一下刷一下刷一下刷一下，看看能不能提交" * 2,
])
def test_repeated_text_is_an_advert(text):
    assert is_advert(text) is REPEATED


@pytest.mark.parametrize("text", [
    "物业电话 12345678 打不通",
    "电梯 经常坏，请联系13812345678",
    "下水道堵了，物业不管，只能自己找疏通的，电话13812345678",
    "装修噪音大，咨询物业说没办法，我电话13812345678",
    "物业不专业，漏水一个月没人管，电话13812345678",
    "说是免费维修，结果收了钱，电话13812345678",
    "我家装修的时候物业不让进材料，电话13812345678",
    "有问题加物业微信 wy12345 咨询，但是没人回",
    "垃圾清运不及时，希望每天清两次；停车位不够，晚上8点以后很乱。",
    "物业公司不管事，物业公司乱收费，物业公司的人态度也差，希望换掉这家公司，大家都很不满意，已经反映了很多次",
    "从北京搬来的，上海广州也住过，这里物业最差",
    "非常满意非常满意",
    "好好好",
    "",
])
def test_complaints_and_praise_are_not_adverts(text):
    assert is_advert(text) is None


def test_the_reasons_read_in_plain_chinese(app):
    with app.test_request_context():
        assert str(SOLICITING) == "招揽广告（附联系方式或链接）"
        assert str(PLACES) == "罗列地名的服务广告" and str(REPEATED) == "重复刷屏"
