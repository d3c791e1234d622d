"""Serving rectification photos: only to those who may see the item, with headers that keep the
photo private and uninterpreted; the upload form's body limit and the page macros."""
from __future__ import annotations

import io

import pytest
from flask import render_template_string, request
from sqlalchemy import select

from survey_app.domain.clock import now
from survey_app.domain.rectification import photos
from survey_app.models import RectificationItem, User
from survey_app.web.rectification_photos import accepts_photos

from ..domain.test_rectification_photos import jpeg_with_gps, png, upload


@pytest.fixture
def shot(app, db, world, tmp_path):
    """A photo of an item of 金色花园 (甲物业, 文化路街道)."""
    app.config["PHOTO_FOLDER"] = str(tmp_path / "photos")
    item = RectificationItem(campaign_id=world.campaign.id, compound_id=world.k1.id, company_id=world.c1.id,
                             category_key="other", category="其他", source="inspection", evidence="巡查发现",
                             status="open", created_at=now())
    db.session.add(item)
    db.session.flush()
    officer = db.session.scalar(select(User).where(User.username == "street1"))
    [photo] = photos.accept_photos([upload(jpeg_with_gps())], item=item, user=officer)
    db.session.commit()
    return photo


def test_the_item_s_company_and_officers_see_the_photo_with_private_headers(app, client, login, shot):
    data = photos.read_photo(shot)
    for who in ("company1", "street1", "district", "city"):
        login(who)
        resp = client.get(f"/rectification/photos/{shot.id}")
        assert resp.status_code == 200, who
        assert resp.data == data and resp.mimetype == "image/jpeg"
        assert resp.headers["Cache-Control"] == "private, max-age=3600"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Disposition"] == "inline"
        client.post("/logout")


@pytest.mark.parametrize("who", ["company2", "street3"])
def test_others_get_not_found(app, client, login, shot, who):
    login(who)
    resp = client.get(f"/rectification/photos/{shot.id}")
    assert resp.status_code == 404
    assert resp.mimetype == "text/html" and resp.data != photos.read_photo(shot)
    assert "照片" in resp.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client, shot):
    resp = client.get(f"/rectification/photos/{shot.id}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_unknown_ids_and_lost_files_answer_not_found(client, login, shot):
    login("company1")
    for raw in (shot.id + 1, 0, "99999999999999999999", "١", "abc"):
        assert client.get(f"/rectification/photos/{raw}").status_code == 404, raw
    photos.photo_path(shot).unlink()
    assert client.get(f"/rectification/photos/{shot.id}").status_code == 404


def test_a_form_marked_as_accepting_photos_may_carry_more_than_the_usual_body(app, client, login, world):
    app.config.update(MAX_CONTENT_LENGTH=500_000, PHOTO_MAX_BYTES=400_000, PHOTO_MAX_COUNT=3)

    def other_form():
        return str(sum(len(f.read()) for f in request.files.getlist("photos")))

    app.add_url_rule("/test-photo-form", "test_photo_form", accepts_photos(lambda: other_form()), methods=["POST"])
    app.add_url_rule("/test-other-form", "test_other_form", other_form, methods=["POST"])
    login("company1")
    body = {"photos": [(io.BytesIO(b"x" * 390_000), f"{i}.jpg") for i in range(3)]}
    resp = client.post("/test-photo-form", data=body, content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_data(as_text=True) == str(3 * 390_000)
    body = {"photos": [(io.BytesIO(b"x" * 390_000), f"{i}.jpg") for i in range(3)]}
    assert client.post("/test-other-form", data=body, content_type="multipart/form-data").status_code == 413
    body = {"photos": [(io.BytesIO(b"x" * 390_000), f"{i}.jpg") for i in range(7)]}  # beyond the photo limit too
    assert client.post("/test-photo-form", data=body, content_type="multipart/form-data").status_code == 413


def test_the_gallery_links_each_photo_and_the_input_states_the_limits(app, db, shot):
    small = photos.accept_photos([upload(png(size=(30, 60), text=False), "s.png")], item=shot.item, user=None)
    db.session.commit()
    with app.test_request_context():
        html = render_template_string(
            '{% from "rectification/_photos.html" import photo_gallery, photo_input %}'
            "{{ photo_gallery(photos) }}{{ photo_input() }}{{ photo_gallery([]) }}", photos=[shot, small[0]])
    assert html.count(f'href="/rectification/photos/{shot.id}"') == 1
    assert f'src="/rectification/photos/{shot.id}"' in html
    assert 'width="200" height="400"' not in html and 'width="120" height="240"' in html  # 200×400 drawn small
    assert 'width="30" height="60"' in html  # a small photo is not enlarged
    assert 'alt="整改照片 1' in html and 'alt="整改照片 2' in html
    assert 'type="file" name="photos" accept="image/jpeg,image/png" multiple' in html
    assert "JPG 或 PNG，每张不超过 8 MB，最多 6 张" in html and "位置信息" in html
