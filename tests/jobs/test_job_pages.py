"""Long work as jobs (the queue in immediate mode): a label PDF and a ranking workbook asked for
on the web page, their job page, download, owner-only access, failure messages and sweeping."""
import io
from datetime import timedelta

from sqlalchemy import func, select

from survey_app.domain.clock import now
from survey_app.domain.responses.codes import hash_token, issue_codes
from survey_app.jobs import core
from survey_app.models import AuditEvent, Compound, Household, HouseholdCode, Job, RectificationItem, User

from ..domain.test_rectification_sheets import add_item, edit
from ..domain.test_roster import row, xlsx
from ..printing.pdfqr import read_pdf, tokens_of


def _large(app, n=10):
    app.config["JOB_LARGE_HOUSEHOLDS"] = n


def _job(db) -> Job:
    return db.session.scalars(select(Job).order_by(Job.created_at.desc())).first()


def test_a_large_label_print_runs_as_a_job_and_only_its_owner_downloads_it(app, client, world, login, db):
    _large(app)
    login("street1")
    resp = client.post(f"/office/print/street/{world.s1.id}/pdf?campaign={world.campaign.id}", data={"layout": "3x7"})
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).data.decode()
    assert "已完成" in page and "已发放 80 户二维码" in page and 'http-equiv="refresh"' not in page
    job = _job(db)
    assert (job.kind, job.state, job.done, job.total) == ("labels", "done", 80, 80)
    assert job.file_name == "二维码标签-文化路街道-2026年测试测评.pdf"
    pdf = client.get(f"/jobs/{job.id}/file")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "private" in pdf.headers["Cache-Control"]
    urls, _text, _pages = read_pdf(pdf.data)
    assert len(set(tokens_of(urls))) == 80
    # The codes drawn are the codes stored (made while drawing, stored at the end).
    assert {hash_token(t) for t in tokens_of(urls)} == set(db.session.scalars(select(HouseholdCode.code_hash)))
    listing = client.get("/jobs/").data.decode()
    assert job.id in listing and "二维码标签 PDF" in listing
    # Another officer, even one who sees the same street, gets 404 for the page and the file.
    client.post("/logout")
    login("city")
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}/file").status_code == 404
    assert job.id not in client.get("/jobs/").data.decode()


def test_a_second_print_of_a_place_waits_for_the_first(app, client, world, login, db):
    """A print of the same street and campaign still queued: no second job (it would revoke the
    codes of the first one's labels); another street prints."""
    _large(app)
    db.session.add(Job(id="b" * 32, kind="labels", owner_id=_user(db, "city"), state="queued", done=0, total=0,
                       message="", params={"campaign_id": world.campaign.id, "level": "street", "ident": world.s1.id},
                       created_at=now(), expires_at=now() + timedelta(hours=1)))
    db.session.commit()
    login("street1")
    url = f"/office/print/street/{world.s1.id}/pdf?campaign={world.campaign.id}"
    resp = client.post(url, data={"layout": "3x7"})
    assert resp.status_code == 302 and "/jobs/" not in resp.headers["Location"]
    assert "正在后台生成" in client.get(resp.headers["Location"]).data.decode()
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    assert db.session.scalar(select(func.count()).select_from(HouseholdCode)) == 0
    db.session.get(Job, "b" * 32).state = "done"
    db.session.commit()
    assert "/jobs/" in client.post(url, data={"layout": "3x7"}).headers["Location"]


def test_a_large_ranking_workbook_is_offered_as_a_job(app, client, world, login, db):
    _large(app)
    login("city")
    offer = client.get(f"/office/ranking.xlsx?campaign={world.campaign.id}")
    assert offer.status_code == 200 and "在后台生成" in offer.data.decode()
    resp = client.post(f"/office/ranking.xlsx/job?campaign={world.campaign.id}")
    assert resp.status_code == 302
    job = _job(db)
    assert job.state == "done" and job.file_name == "物业服务企业满意度排名-全市.xlsx"
    data = client.get(f"/jobs/{job.id}/file")
    assert data.status_code == 200 and data.data[:2] == b"PK"
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export.ranking")) == 1
    # The job's export event names the address the job was asked from, as a download's does.
    assert db.session.scalar(select(AuditEvent.ip).where(AuditEvent.action == "export.ranking")) == "127.0.0.1"
    # A small area still downloads at once.
    _large(app, 10_000)
    small = client.get(f"/office/ranking.xlsx?campaign={world.campaign.id}")
    assert small.status_code == 200 and small.data[:2] == b"PK"


def test_a_failed_job_says_why_in_plain_words(app, client, world, login, db):
    _large(app)
    login("street1")
    # The codes were asked for without confirming a reissue, but another print issued codes first.
    db.session.add(Job(id="a" * 32, kind="labels", owner_id=_user(db, "street1"), params={
        "campaign_id": world.campaign.id, "level": "street", "ident": world.s1.id, "layout": "3x7"},
        state="queued", done=0, total=0, message="", created_at=now(), expires_at=now() + timedelta(hours=1)))
    db.session.add(Job(id="b" * 32, kind="no-such-kind", owner_id=_user(db, "street1"), params={},
                       state="queued", done=0, total=0, message="", created_at=now(),
                       expires_at=now() + timedelta(hours=1)))
    db.session.commit()
    street = select(Household.id).join(Compound, Compound.id == Household.compound_id).where(
        Compound.street_id == world.s1.id)
    issue_codes(world.campaign.id, list(db.session.scalars(street)))
    db.session.commit()
    core.queue.enqueue("a" * 32)
    core.queue.enqueue("b" * 32)
    db.session.expire_all()
    page = client.get(f"/jobs/{'a' * 32}").data.decode()
    assert "失败" in page and "已有 80 户持有有效二维码" in page and "Traceback" not in page
    assert "未知的任务类型" in client.get(f"/jobs/{'b' * 32}").data.decode()
    assert client.get(f"/jobs/{'a' * 32}/file").status_code == 404


def _user(db, username):
    return db.session.scalar(select(User.id).where(User.username == username))


def test_sweep_deletes_expired_jobs_and_their_files(app, client, world, login, db, runner):
    _large(app)
    login("street1")
    client.post(f"/office/print/street/{world.s1.id}/pdf?campaign={world.campaign.id}", data={"layout": "3x7"})
    job = _job(db)
    job_id, path = job.id, core.file_path(job)
    assert path.exists()
    result = runner.invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0 and path.exists()
    job.expires_at = now() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["jobs", "sweep"])
    assert result.exit_code == 0, result.output
    assert "已删除过期任务 1 个、文件 1 个" in result.output
    assert not path.exists() and db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert client.get(f"/jobs/{job_id}").status_code == 404


def test_large_comment_and_rectification_workbooks_are_made_by_jobs_as_their_views_make_them(app, client, world,
                                                                                            login, db):
    _large(app, 10_000)
    login("city")
    small = client.get(f"/office/comments.xlsx?campaign={world.campaign.id}")
    assert small.status_code == 200 and small.data[:2] == b"PK"
    _large(app)
    for url, name in ((f"/office/comments.xlsx?campaign={world.campaign.id}", "居民意见-全市.xlsx"),
                      (f"/rectification/export.xlsx?campaign={world.campaign.id}", "整改清单-2026年测试测评.xlsx")):
        offer = client.get(url)
        assert offer.status_code == 200 and "在后台生成" in offer.data.decode()
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
        resp = client.post(url)
        assert resp.status_code == 302
        job = db.session.get(Job, resp.headers["Location"].rsplit("/", 1)[-1])
        assert job.state == "done", job.message
        assert job.file_name == name
        data = client.get(f"/jobs/{job.id}/file")
        assert data.status_code == 200 and data.data[:2] == b"PK"
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
        assert [e.action for e in events if e.action.startswith("export.")] in (["export.comments"],
                                                                               ["export.rectification"])
        assert {e.ip for e in events if e.action.startswith("export.")} == {"127.0.0.1"}
    # An area outside the user's view is refused when asked, and no job is made.
    client.post("/logout")
    login("street1")
    jobs_before = db.session.scalar(select(func.count()).select_from(Job))
    resp = client.post(f"/office/comments.xlsx?campaign={world.campaign.id}&district={world.west.id}")
    assert resp.status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(Job)) == jobs_before


def _roster_upload(client, data, **form):
    return client.post("/office/roster/", data={"file": (io.BytesIO(data), "花名册.xlsx"), **form},
                       content_type="multipart/form-data")


def test_a_large_roster_is_imported_by_a_job_all_or_nothing_with_the_pages_result(app, client, world, login, db):
    app.config["JOB_LARGE_ROWS"] = 2
    login("street1")
    # A dry run is never a job: it answers on the page at once.
    dry = _roster_upload(client, xlsx([row(room="101"), row(room="102"), row(room="103")]), dry_run="yes")
    assert dry.status_code == 200 and "/jobs/" not in dry.headers.get("Location", "")
    resp = _roster_upload(client, xlsx([row(room="101"), row(room="102"), row(room="103")]))
    assert resp.status_code == 302
    job = db.session.get(Job, resp.headers["Location"].rsplit("/", 1)[-1])
    assert job.state == "done" and job.result["rows"] == 3
    assert "导入完成：共 3 行" in client.get(f"/jobs/{job.id}").data.decode()
    assert db.session.scalar(select(func.count()).select_from(Household)) == 133
    assert not list(core.files_folder().glob(f"{job.id}*"))  # the uploaded file is gone with the import
    # A file with a bad row imports nothing and the job's page lists the rows, as the upload page does.
    bad = _roster_upload(client, xlsx([row(room="201"), row(room="202"), row(street="无名街道")]))
    job = db.session.get(Job, bad.headers["Location"].rsplit("/", 1)[-1])
    page = client.get(f"/jobs/{job.id}").data.decode()
    assert job.state == "failed" and "失败" in page and "已完成" not in page  # nothing was imported
    assert "没有导入任何数据" in page and "文件未导入：发现 1 处问题" in page and "未知的街道「无名街道」" in page
    assert db.session.scalar(select(func.count()).select_from(Household)) == 133


def test_a_large_rectification_workbook_is_imported_by_a_job_with_the_pages_result(app, client, world, login, db):
    soon = now().date() + timedelta(days=10)
    mine = add_item(world, db, world.k1, world.c1, "assigned", deadline=soon)
    app.config["JOB_LARGE_ROWS"] = 0
    login("company1")
    data = edit(client.get("/rectification/export.xlsx").data, {mine.id: {"状态": "待核验",
                                                                         "整改情况/说明": "已修好楼道灯"}})
    resp = client.post("/rectification/import", data={"file": (io.BytesIO(data), "整改清单.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    job = db.session.get(Job, resp.headers["Location"].rsplit("/", 1)[-1])
    assert job.state == "done", job.message
    page = client.get(f"/jobs/{job.id}").data.decode()
    assert "导入完成" in page and "导入整改清单" in page
    db.session.expire_all()
    assert db.session.get(RectificationItem, mine.id).status == "submitted"
