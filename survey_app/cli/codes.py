"""`flask qr pdf` and `flask codes export`: print or list household codes for a street or part of it;
`flask codes sample`: fresh codes for a few unanswered households, to try the survey on a phone."""
from __future__ import annotations

import os

import click
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from . import common
from ..domain.printing import labels as labels_pdf, selection
from ..domain.responses import codes as tokens
from ..domain.xlsx.codes import write_codes_workbook
from ..extensions import db
from ..models import Street


def _selection_options(f):
    for opt in reversed([
        click.option("--campaign", "campaign_id", type=int, required=True, help="测评活动编号"),
        click.option("--district", help="区名（街道名在多个区重名时必填）"),
        click.option("--street", required=True, help="街道名"),
        click.option("--community", help="社区名（只打印该社区）"),
        click.option("--compound", help="小区名（只打印该小区）"),
        click.option("--yes", is_flag=True, help="已有有效二维码的住户也重新发放（旧码作废）"),
    ]):
        f = opt(f)
    return f


def _prepare(campaign_id, district, street, community, compound, yes):
    """Resolve the campaign and the selection; refuse to reissue without --yes."""
    campaign = common.campaign(campaign_id)
    sel = selection.resolve(street, district, community, compound)
    base = current_app.config["PUBLIC_BASE_URL"]
    selection.check_base_url(base)
    total = selection.count(sel)
    if total == 0:
        raise click.ClickException(_("%(title)s 没有住户，请先导入住户名册。", title=sel.title))
    live = selection.live_count(campaign.id, sel)
    if live and not yes:
        raise click.ClickException(_(
            "%(title)s 已有 %(live)s 户（共 %(total)s 户）持有「%(campaign)s」的有效二维码。"
            "重新生成会作废这些旧码，住户须改用新码。确认重新发放请加 --yes。",
            title=sel.title, live=live, total=total, campaign=campaign.name))
    if "127.0.0.1" in base or "localhost" in base:
        click.echo(_("注意：二维码指向 %(base)s，住户手机无法访问；正式打印前请设置 PUBLIC_BASE_URL。", base=base),
                   err=True)
    if live:
        click.echo(_("%(campaign)s · %(title)s：%(total)s 户，其中 %(live)s 户将重新发放（旧码作废）",
                     campaign=campaign.name, title=sel.title, total=total, live=live))
    else:
        click.echo(_("%(campaign)s · %(title)s：%(total)s 户", campaign=campaign.name, title=sel.title, total=total))
    return campaign, sel, total, live


def _write_atomically(out: str, write) -> None:
    """Write to OUT.part, commit the codes, then move it into place; on failure change nothing."""
    part = out + ".part"
    try:
        with open(part, "wb") as f:
            write(f)
        # The codes are stored before the file appears under its name: a sheet in place whose
        # codes were never stored would hand residents dead codes. This is the one commit a
        # command makes itself; the command's own commit afterwards finds nothing left to store.
        db.session.commit()
    except BaseException:
        # The command's transaction wrapper rolls the session back; only the file is ours to undo.
        if os.path.exists(part):
            os.remove(part)
        raise
    os.replace(part, out)


def _progress(bar):
    state = {"done": 0}

    def update(done, _total):
        bar.update(done - state["done"])
        state["done"] = done
    return update


@click.group("qr")
def qr_group():
    """QR-code label sheets."""


@qr_group.command("pdf")
@_selection_options
@click.option("--layout", type=click.Choice(sorted(labels_pdf.LAYOUTS)), default=labels_pdf.DEFAULT_LAYOUT,
              show_default=True, help="每页标签排列（列x行）")
@click.option("--workers", type=click.IntRange(0, 64), help="计算二维码的进程数（默认：大批量时每核一个）")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def qr_pdf(campaign_id, district, street, community, compound, yes, layout, workers, out):
    """Issue codes and write A4 label sheets (PDF) for a street, community or compound."""
    campaign, sel, total, live = _prepare(campaign_id, district, street, community, compound, yes)
    result = {}
    _write_atomically(out, lambda f: result.setdefault("r", labels_pdf.write_labels(
        f, campaign, sel, current_app.config["PUBLIC_BASE_URL"], layout=layout, workers=workers,
        progress=_label_progress())))
    r = result["r"]
    click.echo(_("已发放 %(labels)s 户二维码（其中重新发放 %(reissued)s 户），"
                 "%(buildings)s 栋楼 %(pages)s 页标签已写入 %(out)s", labels=r.labels, reissued=r.reissued,
                 buildings=r.buildings, pages=r.pages, out=out))


def _label_progress():
    """Tell a label print's progress on stderr: a line when buildings finish (at most one per percent)."""
    state = {"buildings": 0, "percent": -1}

    def update(p: labels_pdf.Progress):
        percent = p.households * 100 // max(1, p.households_total)
        last = p.buildings == p.buildings_total
        if p.buildings > state["buildings"] and (percent > state["percent"] or last):
            state.update(buildings=p.buildings, percent=percent)
            click.echo(_("[%(percent)3d%%] 生成标签：楼栋 %(b)s/%(bt)s，住户 %(h)s/%(ht)s",
                         percent=percent, b=p.buildings, bt=p.buildings_total, h=p.households,
                         ht=p.households_total), err=True)
    return update


@click.group("codes")
def codes_group():
    """Household codes."""


@codes_group.command("export")
@_selection_options
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True)
def codes_export(campaign_id, district, street, community, compound, yes, out):
    """Issue codes and write household, address and survey URL to Excel (for mail merge)."""
    campaign, sel, total, live = _prepare(campaign_id, district, street, community, compound, yes)
    result = {}
    with click.progressbar(length=total, label=_("发放并导出")) as bar:
        _write_atomically(out, lambda f: result.setdefault("n", write_codes_workbook(
            f, campaign, sel, current_app.config["PUBLIC_BASE_URL"], progress=_progress(bar))))
    click.echo(_("已发放 %(n)s 户二维码（其中重新发放 %(live)s 户），问卷地址已写入 %(out)s",
                 n=result["n"], live=live, out=out))


@codes_group.command("sample")
@click.option("--campaign", "campaign_id", type=int, help="测评活动编号（默认：当前活动）")
@click.option("--district", help="区名（街道名在多个区重名时必填）")
@click.option("--street", help="街道名（默认：第一个街道）")
@click.option("--count", type=click.IntRange(1, 20), default=3, show_default=True, help="住户数")
def codes_sample(campaign_id, district, street, count):
    """Issue fresh codes for a few unanswered households of a street and print their survey URLs."""
    campaign = common.campaign(campaign_id)
    base = current_app.config["PUBLIC_BASE_URL"]
    selection.check_base_url(base)
    street_id = selection.resolve(street, district).id if street else \
        db.session.scalar(select(Street.id).order_by(Street.id).limit(1))
    ids = tokens.unanswered_in_street(campaign.id, street_id, count)
    if not ids:
        raise click.ClickException(_("没有尚未作答的住户，无法发放示例二维码。"))
    live = tokens.live_count(campaign.id, ids)
    issued = tokens.issue_codes(campaign.id, list(ids), reason="demo", why="试用示例")
    click.echo(_("住户问卷示例地址（「%(campaign)s」，%(n)s 户尚未作答的住户）：", campaign=campaign.name, n=len(ids)))
    for token in issued.values():
        click.echo("  " + tokens.survey_url(base, token))
    if live:
        click.echo(_("这 %(live)s 户的旧二维码已作废，只重新发放了以上住户。", live=live))
    if "127.0.0.1" in base or "localhost" in base:
        click.echo(_("注意：这些地址只能在本机打开；手机试用请用 HOST=0.0.0.0 启动或设置 PUBLIC_BASE_URL。"), err=True)
