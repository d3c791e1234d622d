"""Photos of rectification items: an officer's inspection finding, a company's proof of the work.

An uploaded photo is bytes written by anyone, named by anyone. It is accepted only when its
content is a JPEG or PNG that Pillow reads to the end (the file name and the browser's content
type are not believed), within the configured size, pixel count and number per upload; a
decompression bomb (a small file declaring huge dimensions) is refused from its header, before a
pixel is decoded. Each photo is then re-encoded from its pixels alone: turned upright by its EXIF
orientation, downscaled, and saved with no EXIF (so no GPS position), XMP, ICC profile or text
chunk. It is stored in the configured folder under a random name, never the uploader's.

All photos of an upload are checked and re-encoded before any is written: one refused photo
refuses the upload and leaves nothing behind. `accept_photos` does both; a view that reads its
upload before taking the write lock (`database.parses_first`) calls `check_photos`, then
`begin_write()` and its own writes, then `store_photos`.
"""
from __future__ import annotations

import io
import re
import secrets
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from flask import current_app, has_app_context
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ...errors import Invalid, NotFound
from ...extensions import db
from ...models import RectificationPhoto
from ..clock import now

# What a photo may be by its content, and how it is stored: (content type, file extension).
# MPO is how Pillow names a JPEG carrying a second picture (many phones write one); the first is kept.
ACCEPTED = {"JPEG", "MPO", "PNG"}
STORED = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
JPEG_QUALITY = 85
STORED_NAME = re.compile(r"[0-9a-f]{32}\.(?:jpg|png)")


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 8 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_count: int = 6
    max_side: int = 2000

    @property
    def max_mb(self) -> str:
        """The size limit in MB as pages and messages write it ("8", "0.5")."""
        return _mb(self.max_bytes)


@dataclass(frozen=True)
class Prepared:
    """A photo checked and re-encoded, not yet written."""

    data: bytes
    format: str  # JPEG | PNG, as stored
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return STORED[self.format][0]

    @property
    def extension(self) -> str:
        return STORED[self.format][1]


def limits() -> Limits:
    """The photo limits of the running app (the defaults outside one)."""
    if not has_app_context():
        return Limits()
    cfg, d = current_app.config, Limits()
    return Limits(max_bytes=int(cfg.get("PHOTO_MAX_BYTES") or d.max_bytes),
                  max_pixels=int(cfg.get("PHOTO_MAX_PIXELS") or d.max_pixels),
                  max_count=int(cfg.get("PHOTO_MAX_COUNT") or d.max_count),
                  max_side=int(cfg.get("PHOTO_MAX_SIDE") or d.max_side))


def request_limit() -> int:
    """The largest request body a form carrying photos may send: every photo at its limit, and a
    megabyte for the form's other fields and the multipart framing."""
    lim = limits()
    return lim.max_count * lim.max_bytes + 1024 * 1024


def folder() -> Path:
    """Where photos are stored: PHOTO_FOLDER, else `photos` in the app's instance folder."""
    configured = current_app.config.get("PHOTO_FOLDER") or ""
    return Path(configured) if configured else Path(current_app.instance_path) / "photos"


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".")


def _label(filename: str | None) -> str:
    """The uploader's file name as a message may quote it: the last part, printable, short."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ").strip()
    return (name[:40] + "…" if len(name) > 40 else name) or _("未命名文件")


def _chosen(files: Iterable) -> list:
    """The file inputs that hold a file: a form's empty file input arrives without a name."""
    return [f for f in files or () if f is not None and getattr(f, "filename", None)]


def check_photos(files: Iterable) -> list[Prepared]:
    """Read, check and re-encode every uploaded photo; write nothing.

    `files` are werkzeug FileStorage objects (`request.files.getlist("photos")`); inputs left
    empty are ignored.

    :raise Invalid: too many photos, or one that is too large, has too many pixels, is not really
        a JPEG or PNG, or is broken; the message names the file.
    """
    lim = limits()
    chosen = _chosen(files)
    if len(chosen) > lim.max_count:
        raise Invalid(_("一次最多上传 %(max)s 张照片（选了 %(count)s 张）。", max=lim.max_count, count=len(chosen)))
    return [_prepare(f, lim) for f in chosen]


def _prepare(upload, lim: Limits) -> Prepared:
    name = _label(upload.filename)
    data = upload.stream.read(lim.max_bytes + 1)  # never more than one byte past the limit
    if len(data) > lim.max_bytes:
        raise Invalid(_("照片「%(name)s」过大：每张不超过 %(max)s MB。", name=name, max=_mb(lim.max_bytes)))
    if not data:
        raise Invalid(_("照片「%(name)s」是空文件。", name=name))
    try:
        return _reencode(data, name, lim)
    except Invalid:
        raise
    except UnidentifiedImageError as e:  # neither decoder recognises it: a GIF, WebP, PDF, text...
        raise Invalid(_not_a_photo(name)) from e
    except Image.DecompressionBombError as e:  # declared dimensions beyond Pillow's own limit
        raise Invalid(_too_big(name, lim)) from e
    except Exception as e:  # noqa: BLE001 — any failure of the decoder on an uploaded file means it is broken
        raise Invalid(_("照片「%(name)s」无法读取：文件已损坏或不完整，请重新拍摄或导出后再上传。", name=name)) from e


def _too_big(name: str, lim: Limits, size: tuple[int, int] | None = None) -> str:
    what = f"{size[0]} × {size[1]}" if size else "?"
    return _("照片「%(name)s」的像素过多（%(size)s，每张最多 %(max)s 像素）。", name=name, size=what,
             max=f"{lim.max_pixels:,}")


def _reencode(data: bytes, name: str, lim: Limits) -> Prepared:
    # Only the JPEG and PNG decoders are tried: a GIF, WebP, PDF or text file is not identified at all.
    probe = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    if probe.format not in ACCEPTED:
        raise Invalid(_not_a_photo(name))
    width, height = probe.size  # from the header: nothing decoded yet
    if width < 1 or height < 1 or width * height > lim.max_pixels:
        raise Invalid(_too_big(name, lim, (width, height)))
    probe.verify()  # a PNG's chunk checksums; a JPEG is checked by decoding it below
    img = Image.open(io.BytesIO(data), formats=("JPEG", "PNG"))
    img.load()  # a truncated file fails here (LOAD_TRUNCATED_IMAGES stays off)
    try:
        upright = ImageOps.exif_transpose(img)
    except (SyntaxError, ValueError, TypeError, KeyError, OSError, struct.error):
        upright = img  # a damaged EXIF block: the pixels are fine, kept as they were decoded
    img = upright
    alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    img = img.convert("RGBA" if alpha else "RGB")
    img.thumbnail((lim.max_side, lim.max_side), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the original's EXIF, GPS, XMP, ICC or text follows.
    clean = Image.frombytes(img.mode, img.size, img.tobytes())
    fmt = "PNG" if alpha else "JPEG"
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return Prepared(out.getvalue(), fmt, clean.width, clean.height)


def _not_a_photo(name: str) -> str:
    return _("「%(name)s」不是 JPG 或 PNG 照片，请上传手机或相机拍摄的照片。", name=name)


def store_photos(prepared: list[Prepared], *, item, user, event=None) -> list[RectificationPhoto]:
    """Write checked photos to the photo folder and record them on the item (and the event).

    Adds the rows to the session; never commits. A photo folder that cannot be written is a
    server error: the photos written before it are removed again.
    """
    if not prepared:
        return []
    if event is not None and event.id is None:
        db.session.flush()  # the photos name the event by its id
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = []
    try:
        for p in prepared:
            stored_name = secrets.token_hex(16) + p.extension
            path = target / stored_name
            with open(path, "xb") as f:  # exclusive: never over another photo
                written.append(path)
                f.write(p.data)
            rows.append(RectificationPhoto(
                item=item, event_id=event.id if event is not None else None, stored_name=stored_name,
                content_type=p.content_type, width=p.width, height=p.height, size=len(p.data),
                uploaded_at=now(), uploaded_by_id=getattr(user, "id", None)))
    except OSError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    db.session.add_all(rows)
    return rows


def accept_photos(files: Iterable, *, item, user, event=None) -> list[RectificationPhoto]:
    """Check every uploaded photo, then store them all on the item: all or nothing.

    :raise Invalid: as `check_photos`; nothing is written.
    """
    return store_photos(check_photos(files), item=item, user=user, event=event)


def photo_path(photo: RectificationPhoto) -> Path:
    """The stored file of a photo.

    :raise NotFound: the stored name is not one this module gives (never a path outside the folder).
    """
    if not STORED_NAME.fullmatch(photo.stored_name or ""):
        raise NotFound(_("照片文件不存在。"))
    return folder() / photo.stored_name


def read_photo(photo: RectificationPhoto) -> bytes:
    """The stored bytes of a photo.

    :raise NotFound: the file is gone (removed from the folder, or the folder moved).
    """
    try:
        return photo_path(photo).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as e:
        raise NotFound(_("照片文件不存在。")) from e


def remove_files(photos: Iterable[RectificationPhoto]) -> None:
    """Delete the stored files of photos whose rows are being deleted (a missing file is no error)."""
    for photo in photos:
        try:
            photo_path(photo).unlink(missing_ok=True)
        except NotFound:
            continue
