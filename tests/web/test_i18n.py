"""Chinese first, English on request."""
from ..factories import households_of, issue


def test_pages_speak_chinese_by_default_and_english_on_request(client, world):
    assert "工作人员登录" in client.get("/login").data.decode()
    en = client.get("/login?lang=en").data.decode()
    assert "Staff login" in en and 'lang="en"' in en
    assert "Staff login" in client.get("/login").data.decode()  # the choice sticks for the session
    assert "工作人员登录" in client.get("/login?lang=zh_CN").data.decode()


def test_resident_survey_in_english(client, world):
    token = issue(world.campaign, households_of(world.k1)[0])
    client.get(f"/s/{token}")
    page = client.get("/s/?lang=en").data.decode()
    assert "Very satisfied" in page and "Not applicable" in page
    assert "Cleanliness of stairwells" in page and "Submit" in page
    zh = client.get("/s/?lang=zh_CN").data.decode()
    assert "非常满意" in zh and "楼道、道路等公共区域清洁" in zh


def test_staff_pages_in_english(client, world, login):
    login("city")
    for path, words in (("/office/overview/?lang=en", "Overview"), ("/office/visits?lang=en", "Coverage by building"),
                        ("/office/roster/?lang=en", "Import household roster"),
                        ("/office/overview/benchmarks?lang=en", "Benchmark candidates")):
        page = client.get(path).data.decode()
        assert words in page, path
