"""One household's code (the building page's per-household link): the address under the code in both
downloads (PNG and SVG), and a file name that says whose it is."""
import base64
import io
import re
import xml.etree.ElementTree as ET

import zxingcpp
from PIL import Image

from survey_app.domain.printing import qr
from survey_app.domain.responses import codes as tokens

from ..factories import households_of

SVG = "{http://www.w3.org/2000/svg}"


def _data(page: str, mime: str) -> bytes:
    return base64.b64decode(re.search(rf'href="data:{re.escape(mime)};base64,([^"]+)"', page).group(1))


def test_both_downloads_carry_the_address_and_are_named_by_it(client, world, login, db):
    login("street1")
    h = households_of(world.k1)[0]
    page = client.post(f"/office/households/{h.id}/code").data.decode()
    assert re.findall(r'download="([^"]+)"', page) == [f"金色花园-{h.label}.png", f"金色花园-{h.label}.svg"]

    png = Image.open(io.BytesIO(_data(page, "image/png"))).convert("L")
    url = zxingcpp.read_barcodes(png)[0].text
    assert tokens.find_code(url.rsplit("/", 1)[1]).household_id == h.id

    svg = ET.fromstring(_data(page, "image/svg+xml").decode())
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["金色花园", h.label]
    # The code is the same one: the SVG draws the PNG's URL (its path equals the bare code's).
    bare = ET.fromstring(qr.svg_text(url))
    assert svg.find(f"{SVG}path").get("d") == bare.find(f"{SVG}path").get("d")
    # The text sits below the code (inside a taller picture), not over it.
    side = float(bare.get("viewBox").split()[2])
    assert float(svg.get("viewBox").split()[3]) > side
    assert all(float(t.get("y")) - float(t.get("font-size")) > side for t in svg.iter(f"{SVG}text"))


def test_an_svg_caption_is_escaped_and_squeezed_to_the_code_width():
    url = "http://survey.test/s/AAAAAAAAAAAAAAAAAAAAAA"
    svg = ET.fromstring(qr.captioned_svg(url, ["<名苑&>", "很长很长很长很长很长很长的楼栋名称1号楼1单元1001室"]))
    short, long_ = list(svg.iter(f"{SVG}text"))
    assert short.text == "<名苑&>" and short.get("textLength") is None
    assert long_.get("textLength") is not None and float(long_.get("textLength")) < float(svg.get("viewBox").split()[2])
    assert qr.captioned_svg(url, []) == qr.svg_text(url)
