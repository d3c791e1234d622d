"""Destructive actions ask first, without JavaScript: disabling an account needs its box ticked, and
deleting a dimension or a question of a draft questionnaire needs a second click (a <details>)."""
import re

from sqlalchemy import select

from survey_app.models import User

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
