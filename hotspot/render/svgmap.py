"""Small static SVG maps for printed pages (no tiles, no script).

Coordinates are the working CRS in metres, drawn at one scale on both axes
(north up), so distances on paper are true; a scale bar says how long.
Every text is escaped. Elements carry classes (``street``, ``route-leg``,
``target-marker``, ``start-marker``, ...) so print styles and tests can find
them.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import shapely

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


def _esc(v) -> str:
    return html.escape("" if v is None else str(v), quote=True)


class SvgMap:
    """An SVG canvas over a box in metres.

    Parameters
    ----------
    bounds : (minx, miny, maxx, maxy)
        The box to draw, metres (padded by ``pad`` metres).
    width : int
        Width in px; the height follows the box's aspect.
    pad : float
        Margin round the box, metres.
    max_height : int
        Largest height in px; a tall box is drawn at a smaller scale.
    """

    def __init__(self, bounds, *, width: int = 720, pad: float = 150.0, max_height: int = 560):
        x0, y0, x1, y1 = bounds
        x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
        w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        self.scale = min(width / w, max_height / h)  # px per metre
        self.width, self.height = int(round(w * self.scale)), int(round(h * self.scale))
        self.x0, self.y1 = x0, y1
        self.box = shapely.box(x0, y0, x1, y1)
        self.parts: list[str] = []

    def xy(self, x: float, y: float) -> tuple[float, float]:
        """Page position of a point.

        Parameters
        ----------
        x, y : float
            Coordinates in the working CRS, metres.

        Returns
        -------
        (float, float)
            ``(px, py)``: pixels from the left and from the top.
        """
        return (x - self.x0) * self.scale, (self.y1 - y) * self.scale

    def _path(self, geom) -> str:
        out = []
        for part in shapely.get_parts(geom):
            rings = [part] if part.geom_type == "LineString" else \
                [part.exterior, *part.interiors] if part.geom_type == "Polygon" else []
            for ring in rings:
                c = np.asarray(ring.coords)[:, :2]
                px = (c[:, 0] - self.x0) * self.scale
                py = (self.y1 - c[:, 1]) * self.scale
                d = "M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py))
                out.append(d + (" Z" if part.geom_type == "Polygon" else ""))
        return " ".join(out)

    def geometry(self, geom: BaseGeometry, *, cls: str, stroke: str = "#555", width: float = 1.0, fill: str = "none",
                 opacity: float = 1.0, dash: str | None = None, title: str | None = None) -> None:
        """Draw a line or polygon geometry clipped to the box.

        Parameters
        ----------
        geom : shapely geometry
            Line(s) or polygon(s) in the working CRS (metres); points are
            not drawn.
        cls : str
            CSS class of the ``<path>`` (for print styles and tests).
        stroke : str
            CSS colour of the line.
        width : float
            Line width, pixels.
        fill : str
            CSS fill colour (``"none"`` for lines).
        opacity : float
            Fill opacity, 0 to 1.
        dash : str, optional
            SVG ``stroke-dasharray`` (e.g. ``"8 4"``, pixels); none: solid.
        title : str, optional
            Hover text (escaped).
        """
        g = geom.intersection(self.box)
        if g.is_empty:
            return
        d = self._path(g)
        if not d:
            return
        t = f"<title>{_esc(title)}</title>" if title else ""
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<path class="{_esc(cls)}" d="{d}" stroke="{stroke}" stroke-width="{width}" fill="{fill}" '
                          f'fill-opacity="{opacity}" fill-rule="evenodd"{dash_attr}>{t}</path>')

    def label_line(self, geom: BaseGeometry, text: str, *, cls: str = "street-label") -> None:
        """A street name at the middle of the longest visible part of a line.

        Parameters
        ----------
        geom : shapely geometry
            The street's line(s) in the working CRS (metres); a visible part
            shorter than 60 pixels gets no label.
        text : str
            The label (escaped).
        cls : str
            CSS class of the ``<text>``.
        """
        g = geom.intersection(self.box)
        parts = [p for p in shapely.get_parts(g) if p.geom_type == "LineString"]
        if not parts:
            return
        ln = max(parts, key=lambda p: p.length)
        if ln.length * self.scale < 60:
            return
        a, b = ln.interpolate(0.45, normalized=True), ln.interpolate(0.55, normalized=True)
        (ax, ay), (bx, by) = self.xy(a.x, a.y), self.xy(b.x, b.y)
        ang = np.degrees(np.arctan2(by - ay, bx - ax))
        if ang > 90 or ang < -90:
            ang += 180
        mx, my = (ax + bx) / 2, (ay + by) / 2
        self.parts.append(f'<text class="{_esc(cls)}" x="{mx:.1f}" y="{my:.1f}" transform="rotate({ang:.1f} {mx:.1f} '
                          f'{my:.1f})" text-anchor="middle" dy="-3">{_esc(text)}</text>')

    def marker(self, x: float, y: float, text: str, *, cls: str, shape: str = "circle", fill: str = "#6c3483",
               r: float = 10, title: str | None = None) -> None:
        """A numbered marker (circle or square).

        Parameters
        ----------
        x, y : float
            Position in the working CRS, metres.
        text : str
            The number or short text on the marker (escaped).
        cls : str
            CSS class of the marker's ``<g>``.
        shape : str
            ``"circle"`` or ``"square"``.
        fill : str
            CSS fill colour.
        r : float
            Radius (half the side of a square), pixels.
        title : str, optional
            Hover text (escaped).
        """
        px, py = self.xy(x, y)
        t = f"<title>{_esc(title)}</title>" if title else ""
        if shape == "square":
            body = f'<rect x="{px - r:.1f}" y="{py - r:.1f}" width="{2 * r}" height="{2 * r}" fill="{fill}" stroke="#fff" stroke-width="2"/>'
        else:
            body = f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{r}" fill="{fill}" stroke="#fff" stroke-width="2"/>'
        self.parts.append(f'<g class="{_esc(cls)}" data-label="{_esc(text)}">{t}{body}<text x="{px:.1f}" y="{py + 4:.1f}" '
                          f'text-anchor="middle" class="marker-text">{_esc(text)}</text></g>')

    def scale_bar(self) -> None:
        """A scale bar of a round length in metres, bottom left."""
        target = self.width * 0.2 / self.scale
        nice = max(v for v in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000) if v <= max(target, 50))
        L = nice * self.scale
        y = self.height - 14
        label = f"{nice / 1000:g} km" if nice >= 1000 else f"{nice:g} m"
        self.parts.append(f'<g class="scale-bar"><rect x="10" y="{y - 4}" width="{L:.1f}" height="5" fill="#222"/>'
                          f'<text x="10" y="{y - 8}">{_esc(label)}</text></g>')
        self.parts.append(f'<g class="north"><text x="{self.width - 18}" y="22" font-weight="bold">N</text>'
                          f'<path d="M{self.width - 14},28 l-5,12 l10,0 Z" fill="#222"/></g>')

    def svg(self, *, title: str = "map") -> str:
        """The whole map as one ``<svg>`` element.

        Parameters
        ----------
        title : str
            Accessible label of the image (escaped).

        Returns
        -------
        str
            The SVG markup.
        """
        return (f'<svg xmlns="http://www.w3.org/2000/svg" class="static-map" role="img" aria-label="{_esc(title)}" '
                f'width="{self.width}" height="{self.height}" viewBox="0 0 {self.width} {self.height}">'
                f'<rect width="100%" height="100%" fill="#fbfbf8"/>' + "".join(self.parts) + "</svg>")
