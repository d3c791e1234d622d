"""QR label sheets as a PDF for a building, compound, community or street (office staff)."""
from __future__ import annotations

import re
import tempfile
from urllib.parse import quote

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import access
from ..database import parses_first
from ..domain.printing import labels as labels_pdf, selection
from ..errors import Forbidden, Invalid, NotFound
from ..jobs.labels import LABELS, print_underway
from ..models import Building, Community, Compound, Street
from . import jobs
from .common import campaign_in_view, officer_required

bp = Blueprint("printing", __name__, url_prefix="/office/print")

LEVEL = "<level>"
LEVELS = {"building": Building, "compound": Compound, "community": Community, "street": Street}
CHUNK_SIZE = 64 * 1024
UNSAFE_IN_FILENAME = re.compile(r'[\\/:*?"<>|\s]+')


def _selection(level: str, ident: int) -> tuple[selection.Selection, object]:
    """The households to print, or 404/403 when the place is outside the user's jurisdiction."""
    if level not in LEVELS:
        raise NotFound()
    if not access.may_print(current_user):
        raise Forbidden(_("您没有打印二维码的权限。"))
    obj = access.get_visible(current_user, LEVELS[level], ident)
    # Every query of the print goes through the user's scope as well as the place itself (a grid
    # worker's print of a compound or street covers only the households of their grids).
    return selection.selection_for(obj, scope=access.household_clause(current_user)), obj


def _wider(obj) -> list[tuple[str, str, int]]:
    """(label, level, id) of the places containing obj, widest last, for links to print them."""
    out = []
    if isinstance(obj, Building):
        out.append((_("整个小区"), "compound", obj.compound_id))
        obj = obj.compound
    if isinstance(obj, Compound):
        out.append((_("整个社区"), "community", obj.community_id))
        obj = obj.community
    if isinstance(obj, Community):
        out.append((_("整个街道"), "street", obj.street_id))
    return out


@bp.get(f"/{LEVEL}/<id:ident>")
@officer_required
def page(level: str, ident: int):
    """Say how many households will get codes and how many already hold one, before printing."""
    campaign = campaign_in_view()
    sel, obj = _selection(level, ident)
    counts = selection.building_counts(sel)
    total = sum(counts.values())
    live = selection.live_count(campaign.id, sel)
    layouts = [(name, layout, labels_pdf.plan_pages(counts.values(), name))
               for name, layout in labels_pdf.LAYOUTS.items()]
    return render_template("printing/labels.html", campaign=campaign, sel=sel, total=total, live=live,
                           buildings=len(counts), layouts=layouts, default_layout=labels_pdf.DEFAULT_LAYOUT,
                           wider=_wider(obj), parts=selection.parts(sel),
                           large=total > current_app.config["JOB_LARGE_HOUSEHOLDS"], instruction=labels_pdf.INSTRUCTION)


@bp.post(f"/{LEVEL}/<id:ident>/pdf")
@parses_first  # the labels are drawn before the write lock is taken (write_labels takes it)
@officer_required
def pdf(level: str, ident: int):
    """Issue codes for every household of the selection and send the label sheets as a PDF; a large
    selection (over JOB_LARGE_HOUSEHOLDS) is printed by a job, and the user is sent to its page.

    The sheets are drawn with codes made in memory, and the codes are stored in one short write at
    the end: on SQLite, residents answering meanwhile do not wait while a building's labels are drawn."""
    campaign = campaign_in_view()
    sel, _obj = _selection(level, ident)
    layout = request.form.get("layout", labels_pdf.DEFAULT_LAYOUT)
    if layout not in labels_pdf.LAYOUTS:
        raise Invalid(_("标签版式无效。"))
    back = url_for(".page", level=level, ident=ident, campaign=campaign.id)
    total = selection.count(sel)
    if total == 0:
        flash(_("所选范围内没有住户，请先导入住户名册。"), "warning")
        return redirect(back)
    live = selection.live_count(campaign.id, sel)
    if live and request.form.get("confirm_reissue") != "yes":
        flash(_("所选范围内已有 %(n)s 户持有有效二维码。重新打印会作废这些旧码，请勾选确认后再打印。", n=live), "warning")
        return redirect(back)
    if total > current_app.config["JOB_LARGE_HOUSEHOLDS"]:
        if print_underway(campaign.id, level, ident):
            flash(_("这个范围的标签正在后台生成，请等它完成后再打印：再打一次会作废那份标签上的二维码。"), "warning")
            return redirect(back)
        return jobs.start(LABELS, campaign_id=campaign.id, level=level, ident=ident, layout=layout, reissue=bool(live))
    out = tempfile.TemporaryFile()  # unlinked at once: the codes exist only in this file and the download
    try:
        labels_pdf.write_labels(out, campaign, sel, current_app.config["PUBLIC_BASE_URL"],
                                user_id=current_user.id, layout=layout)
    except BaseException:
        out.close()  # a refusal or failure: the request's transaction is rolled back, no code is kept
        raise
    size = out.tell()
    out.seek(0)
    resp = Response(_read(out), mimetype="application/pdf")
    resp.call_on_close(out.close)
    name = UNSAFE_IN_FILENAME.sub("_", f"二维码标签-{sel.short}-{campaign.name}") + ".pdf"
    resp.headers["Content-Disposition"] = f"attachment; filename=\"labels.pdf\"; filename*=UTF-8''{quote(name)}"
    resp.headers["Content-Length"] = str(size)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _read(f):
    """Send the file in chunks (memory stays flat however many labels it holds)."""
    try:
        while chunk := f.read(CHUNK_SIZE):
            yield chunk
    finally:
        f.close()


def download_name(text: str, suffix: str) -> str:
    """A file name from an address: characters a file system refuses become '-'."""
    return UNSAFE_IN_FILENAME.sub("-", text).strip("-")[:120] + suffix
