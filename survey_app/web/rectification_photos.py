"""Photos of rectification items: served only to staff and companies who may see the item, and
uploaded through the forms of views marked `accepts_photos`."""
from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import access
from ..domain.rectification import photos
from ..errors import NotFound
from ..extensions import db
from ..models import RectificationItem, RectificationPhoto

bp = Blueprint("rectification_photos", __name__, url_prefix="/rectification/photos")
# The upload hint of templates/rectification/_photos.html states the limits the upload is checked by.
bp.add_app_template_global(photos.limits, "photo_limits")

ACCEPTS_PHOTOS = "_accepts_photos"


def accepts_photos(view):
    """Mark a view whose form carries photos: its request body may be `photos.request_limit()`
    bytes, above MAX_CONTENT_LENGTH (several phone photos of a few MB each). Put it right under
    the route decorator; the view passes `request.files.getlist("photos")` to the domain."""
    setattr(view, ACCEPTS_PHOTOS, True)
    return view


def _photo_request_limit():
    # Before any hook reads the form (the CSRF check does): the body is limited when it is parsed.
    if getattr(current_app.view_functions.get(request.endpoint), ACCEPTS_PHOTOS, False):
        request.max_content_length = max(current_app.config.get("MAX_CONTENT_LENGTH") or 0, photos.request_limit())


@bp.record_once
def _first_before_request(state):
    state.app.before_request_funcs.setdefault(None, []).insert(0, _photo_request_limit)


@bp.get("/<id:photo_id>")
@login_required
def show(photo_id: int):
    photo = db.session.get(RectificationPhoto, photo_id)
    if photo is None:
        raise NotFound(_("没有找到这张照片，或不在您的权限范围内。"))
    # The item decides who may see its photos: outside the user's scope the photo does not exist.
    access.get_visible(current_user, RectificationItem, photo.item_id,
                       _("没有找到这张照片，或不在您的权限范围内。"))
    resp = Response(photos.read_photo(photo), mimetype=photo.content_type)
    resp.headers["Cache-Control"] = "private, max-age=3600"  # the browser may keep it; no shared cache may
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = "inline"
    return resp
