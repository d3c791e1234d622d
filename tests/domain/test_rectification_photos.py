"""Photos of rectification items: only real JPEGs and PNGs within the limits are accepted, and what
is stored is re-encoded, upright and free of location and other metadata. Nothing is written for
a refused upload."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from survey_app.domain.clock import now
from survey_app.domain.rectification import photos
from survey_app.errors import Invalid, NotFound
from survey_app.models import RectificationEvent, RectificationItem, RectificationPhoto, User

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="31,14.0N"/>'
       b'</rdf:RDF></x:xmpmeta>')


def jpeg_with_gps(size=(400, 200), orientation=6) -> bytes:
    """A photo as a phone writes it: sideways pixels with an Orientation tag, a GPS position, an
    ICC profile and XMP. Left half red, right half blue."""
    img = Image.new("RGB", size, (220, 0, 0))
    img.paste((0, 0, 220), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), icc_profile=icc, xmp=XMP, quality=95)
    return out.getvalue()


def png(size=(60, 40), mode="RGB", text=True) -> bytes:
    img = Image.new(mode, size, (10, 120, 30, 128) if mode == "RGBA" else (10, 120, 30))
    info = PngInfo()
    if text:
        info.add_text("Comment", "拍摄于 幸福小区 3号楼")
        info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    exif = Image.Exif()
    exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 0.0)}
    out = io.BytesIO()
    img.save(out, "PNG", pnginfo=info, exif=exif.tobytes())
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(out, "GIF")
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (1, 2, 3)).save(out, "WEBP")
    return out.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A tiny PNG declaring huge dimensions: a valid header and one compressed row of zeros."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * (width + 1)))
            + chunk(b"IEND", b""))


def jpeg_bomb(width=60_000, height=60_000) -> bytes:
    """A small JPEG whose frame header declares huge dimensions."""
    data = bytearray(jpeg_with_gps(size=(16, 16), orientation=1))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type=content_type)


@pytest.fixture
def folder(app, tmp_path):
    path = tmp_path / "photos"
    app.config["PHOTO_FOLDER"] = str(path)
    return path


@pytest.fixture
def item(db, world):
    it = RectificationItem(campaign_id=world.campaign.id, compound_id=world.k1.id, company_id=world.c1.id,
                           category_key="other", category="其他", source="inspection", evidence="巡查发现",
                           description="3号楼门口垃圾堆放", status="open", created_at=now())
    db.session.add(it)
    db.session.commit()
    return it


@pytest.fixture
def officer(db, world):
    return db.session.scalar(select(User).where(User.username == "street1"))


def stored(folder) -> list:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_phone_jpeg_is_stored_upright_without_location_or_other_metadata(db, folder, item, officer):
    original = jpeg_with_gps()
    before = Image.open(io.BytesIO(original))
    assert before.getexif().get_ifd(GPS_IFD) and before.info.get("icc_profile") and before.info.get("xmp")
    [photo] = photos.accept_photos([upload(original, "IMG_0001.JPG")], item=item, user=officer)
    db.session.commit()
    assert photo.item_id == item.id and photo.uploaded_by_id == officer.id and photo.event_id is None
    assert photo.content_type == "image/jpeg" and photo.stored_name.endswith(".jpg")
    assert "IMG_0001" not in photo.stored_name and len(photo.stored_name) == 32 + 4
    path = photos.photo_path(photo)
    assert path.parent == folder and stored(folder) == [path]
    data = photos.read_photo(photo)
    assert photo.size == len(data) == path.stat().st_size
    out = Image.open(io.BytesIO(data))
    assert out.format == "JPEG"
    # Orientation 6 (turn 90° clockwise) applied: 400×200 sideways becomes 200×400 upright, red on top.
    assert out.size == (200, 400) == (photo.width, photo.height)
    red, blue = out.convert("RGB").getpixel((100, 50)), out.convert("RGB").getpixel((100, 350))
    assert red[0] > 150 and red[2] < 80 and blue[2] > 150 and blue[0] < 80
    assert len(out.getexif()) == 0 and not out.getexif().get_ifd(GPS_IFD)
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "photoshop"):
        assert key not in out.info, key
    assert b"Exif" not in data and b"PhoneMaker" not in data and b"xmpmeta" not in data and b"ICC_PROFILE" not in data
    assert db.session.scalar(select(RectificationPhoto.id).where(RectificationPhoto.item_id == item.id)) == photo.id
    assert [p.id for p in item.photos] == [photo.id]


def test_pngs_are_accepted_without_their_text_and_keep_transparency(db, folder, item, officer):
    plain, clear = png(), png(mode="RGBA")
    assert Image.open(io.BytesIO(plain)).text
    got = photos.accept_photos([upload(plain, "scan.png", "image/png"), upload(clear, "logo.png", "image/png")],
                               item=item, user=officer)
    db.session.commit()
    assert len(got) == 2 and len(stored(folder)) == 2
    for photo in got:
        out = Image.open(photos.photo_path(photo))
        assert (photo.width, photo.height) == out.size == (60, 40)
        assert len(out.getexif()) == 0 and "exif" not in out.info and not getattr(out, "text", {})
        assert b"xmpmeta" not in photos.read_photo(photo) and "幸福小区".encode() not in photos.read_photo(photo)
    # Without transparency a PNG is stored as a JPEG (a photo); with it, as a PNG that keeps it.
    assert [p.content_type for p in got] == ["image/jpeg", "image/png"]
    assert Image.open(photos.photo_path(got[1])).mode == "RGBA"


def test_large_photos_are_scaled_down_and_photos_recorded_on_their_event(app, db, folder, item, officer):
    app.config["PHOTO_MAX_SIDE"] = 300
    event = RectificationEvent(item=item, at=now(), user_id=officer.id, actor="", from_state=None,
                               to_state="open", note="巡查")
    db.session.add(event)  # not yet flushed: the photos still name it
    [photo] = photos.accept_photos([upload(jpeg_with_gps(size=(1200, 600), orientation=1))], item=item,
                                   user=officer, event=event)
    db.session.commit()
    assert photo.event_id == event.id is not None
    assert (photo.width, photo.height) == (300, 150) == Image.open(photos.photo_path(photo)).size


def test_empty_file_inputs_are_ignored(db, folder, item, officer):
    assert photos.accept_photos([upload(b"", ""), None], item=item, user=officer) == []
    assert photos.accept_photos([], item=item, user=officer) == []
    assert stored(folder) == []


def truncated_jpeg() -> bytes:
    data = jpeg_with_gps(size=(300, 300), orientation=1)
    return data[: len(data) // 2]


REFUSED = {
    "a text file named .jpg": (lambda: "整改完成\n".encode() * 50, "done.jpg", "JPG 或 PNG"),
    "a GIF": (gif, "anim.jpg", "JPG 或 PNG"),
    "a WebP": (webp, "photo.png", "JPG 或 PNG"),
    "a PDF": (lambda: b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "report.jpg", "JPG 或 PNG"),
    "an HTML page": (lambda: b"<html><script>alert(1)</script></html>", "x.png", "JPG 或 PNG"),
    "a truncated JPEG": (truncated_jpeg, "half.jpg", "无法读取"),
    "a PNG with a bad checksum": (lambda: png()[:-9] + b"\x00\x00\x00\x00" + png()[-5:], "bad.png", "无法读取"),
    "an empty file": (lambda: b"", "empty.jpg", "空文件"),
    "a PNG bomb": (png_bomb, "bomb.png", "像素过多"),
    "a PNG declaring just above the limit": (lambda: png_bomb(8000, 5001), "big.png", "像素过多"),
    "a JPEG bomb": (jpeg_bomb, "bomb.jpg", "像素过多"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_is_not_a_photo_is_refused_naming_the_file_and_nothing_is_written(db, folder, item, officer, case):
    make, name, words = REFUSED[case]
    good = upload(jpeg_with_gps(), "good.jpg")
    with pytest.raises(Invalid) as refused:
        photos.accept_photos([good, upload(make(), name)], item=item, user=officer)
    assert refused.value.status == 400
    assert name in refused.value.message and words in refused.value.message, refused.value.message
    assert stored(folder) == []  # the good photo before it was not written either
    db.session.rollback()
    assert db.session.scalar(select(RectificationPhoto.id)) is None


def test_a_file_above_the_size_limit_is_refused_without_reading_it_all(app, db, folder, item, officer):
    app.config["PHOTO_MAX_BYTES"] = 10_000
    data = jpeg_with_gps(size=(800, 800), orientation=1) + b"\x00" * 20_000
    stream = io.BytesIO(data)
    with pytest.raises(Invalid) as refused:
        photos.accept_photos([FileStorage(stream=stream, filename="huge.jpg")], item=item, user=officer)
    assert "huge.jpg" in refused.value.message and "过大" in refused.value.message
    assert "0.0" not in refused.value.message  # the limit is written readably
    assert stream.tell() == 10_001
    assert stored(folder) == []


def test_more_photos_than_the_limit_are_refused(app, db, folder, item, officer):
    app.config["PHOTO_MAX_COUNT"] = 2
    files = [upload(png(text=False), f"p{i}.png") for i in range(3)]
    with pytest.raises(Invalid) as refused:
        photos.accept_photos(files, item=item, user=officer)
    assert "2" in refused.value.message and "3" in refused.value.message
    assert stored(folder) == []
    assert len(photos.accept_photos(files[:2] + [upload(b"", "")], item=item, user=officer)) == 2


def test_a_hostile_file_name_is_quoted_short_and_printable(db, folder, item, officer):
    name = "C:\\fakepath\\" + "<b>\x00\x1b[31m" + "长" * 200 + ".jpg"
    with pytest.raises(Invalid) as refused:
        photos.accept_photos([upload(b"not an image", name)], item=item, user=officer)
    message = refused.value.message
    assert "fakepath" not in message and "\x00" not in message and "\x1b" not in message
    assert "<b>" in message and "…" in message and len(message) < 120  # escaped where it is shown, like any text


def test_the_folder_defaults_to_the_instance_folder_and_stored_names_stay_inside(app, db, item, officer):
    app.config["PHOTO_FOLDER"] = ""
    assert photos.folder() == photos.Path(app.instance_path) / "photos"
    for bad in ("../../etc/passwd", "/etc/passwd", "a" * 32 + ".gif", ""):
        with pytest.raises(NotFound):
            photos.photo_path(RectificationPhoto(stored_name=bad))


def test_a_missing_file_answers_not_found(db, folder, item, officer):
    [photo] = photos.accept_photos([upload(png(text=False), "p.png")], item=item, user=officer)
    photos.photo_path(photo).unlink()
    with pytest.raises(NotFound):
        photos.read_photo(photo)


def test_the_hint_states_the_configured_limits(app):
    app.config.update(PHOTO_MAX_BYTES=512 * 1024, PHOTO_MAX_COUNT=4)
    lim = photos.limits()
    assert (lim.max_mb, lim.max_count) == ("0.5", 4)
    assert photos.request_limit() == 4 * 512 * 1024 + 1024 * 1024


def test_a_photo_with_damaged_exif_is_kept_as_decoded_without_it(db, folder, item, officer):
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (0, 90, 0)).save(out, "JPEG", exif=b"Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff")
    [photo] = photos.accept_photos([upload(out.getvalue(), "odd.jpg")], item=item, user=officer)
    stored_photo = Image.open(photos.photo_path(photo))
    assert stored_photo.size == (20, 10) and len(stored_photo.getexif()) == 0
