"""住户查询 (find a household): one search box for a compound's name, an address such as
"碧水家园 3-2-502" or a room, and the shared area picker; each result links to the household's page,
where its code is re-issued."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from .. import access
from ..domain import households
from ..errors import Invalid
from .common import area_pick, campaign_in_view, page_number, requires

bp = Blueprint("households", __name__, url_prefix="/office")


@bp.get("/households")
@requires(access.may_search_households, _l("仅限街道及以上工作人员和网格员。"))
def index():
    campaign = campaign_in_view()
    pick = area_pick()
    text = request.args.get("q", "")
    try:
        address = households.parse_query(text)
    except Invalid as refused:
        return render_template("office/households.html", campaign=campaign, pick=pick, q="", result=None,
                               message=refused.message), refused.status
    result, message = None, None
    if address.empty and not pick.narrowed:
        message = _("请输入小区名称、楼栋-单元-房号（如“碧水家园 3-2-502”）或房号，或先选择范围。")
    else:
        # Jurisdiction as conditions on the compound and the building (together access.visible(user,
        # Household)), so the query starts from the narrowest of them, the address or the area chosen.
        result = households.search(address, access.compound_clause(current_user) & pick.compound_clause(),
                                   access.grid_clause(current_user) & pick.building_clause(), campaign.id,
                                   page_number())
    return render_template("office/households.html", campaign=campaign, pick=pick, q=text.strip(), result=result,
                           message=message)
