"""On PostgreSQL the survey page reads without a transaction (database.reads_only: no BEGIN and
COMMIT round trips), and its connection is set back when it returns to the pool: the submission
that follows, on the same pooled connection, runs in a transaction of its own."""
import pytest

from ..factories import answer, form_for, households_of, issue, watching_statements


@pytest.fixture
def db_url(pg_url):
    return pg_url  # SQLite's transactions cost no round trip: the page keeps its transaction there


def _in_transaction(request) -> tuple[object, set[bool]]:
    """Run `request` and say, for each of its statements, whether it ran inside a transaction."""
    seen: set[bool] = set()
    return watching_statements(request, lambda conn, _statement: seen.add(
        not conn.connection.dbapi_connection.autocommit)), seen


def test_the_survey_page_reads_outside_a_transaction_and_a_submission_writes_in_one(client, world, db):
    answer(world.campaign, households_of(world.k2)[0])
    form = form_for(world.campaign, "4")
    assert client.get(f"/s/{issue(world.campaign, households_of(world.k1)[0])}").status_code == 302
    page, during = _in_transaction(lambda: client.get("/s/"))
    assert page.status_code == 200 and "金色花园" in page.data.decode()
    assert during == {False}
    resp, during = _in_transaction(lambda: client.post("/s/", data=form))
    assert resp.status_code == 302 and during == {True}
    refused, during = _in_transaction(lambda: client.post("/s/", data={"q1": "9"}))
    assert refused.status_code in (400, 422) and during == {True}
