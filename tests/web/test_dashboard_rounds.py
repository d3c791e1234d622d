"""The officer overview shows the change from the previous round and whether it is beyond noise."""
from ..domain.test_rounds import _two_rounds


def test_overview_shows_change_from_the_previous_round(client, world, login, db):
    first, second = _two_rounds(world, db)
    login("street1")
    page = client.get(f"/office/overview/?campaign={second.id}").data.decode()
    assert "较上轮" in page and f"与「{first.name}」相比" in page
    row = page[page.index(">金色花园<"):page.index("</tr>", page.index(">金色花园<"))]
    assert "↑" in row  # k1 went from 2-3 to all 5: far beyond the noise
    company = page[page.index("1. 甲物业服务有限公司"):]
    company = company[:company.index("</tr>")]
    assert "↑" in company
    first_page = client.get(f"/office/overview/?campaign={first.id}").data.decode()
    assert "较上轮" not in first_page
