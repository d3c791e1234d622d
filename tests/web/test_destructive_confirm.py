"""Destructive actions ask first, without JavaScript: disabling an account needs its box ticked, and
deleting a dimension or a question of a draft questionnaire needs a second click (a <details>); and an
action the state forbids is not offered (opening an incomplete draft)."""
import re

from sqlalchemy import select

from survey_app.models import Campaign, User

from .test_campaign_pages import _new_draft


def test_disabling_an_account_asks_to_tick_a_confirmation(client, world, login, db):
    login("city")
    target = db.session.scalar(select(User).where(User.username == "street1"))
    page = client.get(f"/office/users/{target.id}").data.decode()
    form = page[page.index(f'action="/office/users/{target.id}/disable"'):]
    form = form[:form.index("</form>")]
    assert re.search(r'<input type="checkbox" name="confirm" value="yes" required>', form)
    assert "我确认停用账户「street1」" in form


def test_deleting_a_dimension_or_question_takes_a_second_click(client, world, login):
    login("city")
    cid = _new_draft(client)
    page = client.get(f"/office/campaigns/{cid}/questionnaire").data.decode()
    deletes = [m.start() for m in re.finditer(r'name="action" value="delete"', page)]
    assert deletes
    for at in deletes:  # every delete button sits in an open-to-confirm <details>
        before = page[:at]
        assert before.rfind('<details class="confirm">') > before.rfind("</details>"), page[at - 300:at]


def test_an_incomplete_draft_offers_no_open_button(client, world, login, db):
    login("city")
    cid = _new_draft(client)
    assert f'action="/office/campaigns/{cid}/open"' in client.get(f"/office/campaigns/{cid}").data.decode()
    db.session.get(Campaign, cid).dimensions[0].weight = 0  # a questionnaire that cannot be used
    db.session.commit()
    page = client.get(f"/office/campaigns/{cid}").data.decode()
    assert "问卷还不完整" in page and "权重必须是大于 0 的数" in page
    assert f'action="/office/campaigns/{cid}/open"' not in page  # the state forbids it: not offered
