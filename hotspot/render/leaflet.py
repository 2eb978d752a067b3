"""Interactive maps: self-contained Leaflet pages built with folium.

:class:`HotspotMap` holds one folium map of a study area; each analysis adds
its own layer through a method or :meth:`HotspotMap.add_layer`, and
:meth:`HotspotMap.save` writes one HTML file with every asset inlined (see
:mod:`hotspot.assets`), so the page works with no network.

Every text that reaches the page is HTML-escaped here, and incident points are
never shown finer than their source: police.uk points are already snapped to
street-level map points; exact-date records are shown per grid cell unless the
user asks for points.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Iterable, Sequence

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure, MacroElement, Template

from ..areas import Area
from ..assets import self_contained
from ..crs import to_lonlat
from . import write_page

#: Colours used across layers (colour-blind safe where it matters).
COLOURS = {
    "area": "#1f3a93",
    "neighbour": "#7f8c8d",
    "incident": "#d35400",
    "hot": "#c0392b",
    "cold": "#2e86c1",
    "target": "#8e44ad",
}

TILES = {"osm": "OpenStreetMap", "light": "CartoDB positron"}


def add_base_tiles(fmap: folium.Map, tiles: str | None) -> str | None:
    """Add base tiles to a folium map; returns what was added (or None).

    ``tiles`` is ``None``/``"none"`` (no base map: the page is readable from
    its own layers), ``"osm"``, ``"light"``, an XYZ URL template with
    ``{z}``, ``{x}`` and ``{y}`` (e.g. a force's own tile server), or a WMS
    endpoint written ``wms:URL?layers=NAME`` (``format`` and ``styles`` may be
    given in the query too).

    Parameters
    ----------
    fmap : folium.Map
        The map to add the base layer to.
    tiles : str or None
        The base map wanted, in one of the forms above (the ``--tiles``
        option).

    Returns
    -------
    str or None
        ``"osm"``, ``"light"``, ``"wms"`` or ``"xyz"``; None when no base map
        was added.

    Raises
    ------
    HotspotError
        Anything else (named, with the accepted forms).
    """
    from urllib.parse import parse_qs, urlsplit, urlunsplit

    from .._errors import HotspotError

    if tiles is None or tiles.strip().lower() in ("", "none"):
        return None
    t = tiles.strip()
    if t.lower() in TILES:
        folium.TileLayer(TILES[t.lower()], name="Base map", control=True).add_to(fmap)
        return t.lower()
    if t.lower().startswith("wms:"):
        parts = urlsplit(t[4:])
        q = {k.lower(): v[-1] for k, v in parse_qs(parts.query).items()}
        if parts.scheme not in ("http", "https") or not q.get("layers"):
            raise HotspotError(f"tiles={tiles!r}: a WMS endpoint is wms:http(s)://HOST/PATH?layers=NAME", param='tiles')
        base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        folium.raster_layers.WmsTileLayer(base, layers=q["layers"], fmt=q.get("format", "image/png"),
                                          styles=q.get("styles", ""), transparent=False, version=q.get("version", "1.1.1"),
                                          name="Base map (WMS)", attr=esc(parts.netloc), control=True).add_to(fmap)
        return "wms"
    if t.startswith(("http://", "https://")) and all(k in t for k in ("{z}", "{x}", "{y}")):
        folium.TileLayer(t, name="Base map", attr=esc(urlsplit(t).netloc), control=True, max_zoom=19).add_to(fmap)
        return "xyz"
    raise HotspotError(f"tiles={tiles!r}: use none, osm, light, an XYZ template like "
                       "https://host/{z}/{x}/{y}.png, or wms:https://host/wms?layers=NAME", param='tiles')


def esc(value: object) -> str:
    """HTML-escape any value for a tooltip, popup or legend.

    Parameters
    ----------
    value : object
        Anything; None and NaN become the empty string.

    Returns
    -------
    str
        ``str(value)`` with ``& < > " '`` escaped.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def escape_frame(df: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Copy of ``df`` with the text of ``columns`` (default: all non-geometry
    object columns) HTML-escaped, for GeoJSON tooltips that folium renders as
    HTML.

    Parameters
    ----------
    df : DataFrame or GeoDataFrame
        The frame to copy (left unchanged).
    columns : iterable of str, optional
        Columns to escape (text) or format as ``YYYY-MM-DD`` (datetimes);
        default every column but the geometry.

    Returns
    -------
    DataFrame or GeoDataFrame
        The escaped copy.
    """
    out = df.copy()
    geom = getattr(df, "geometry", None)
    gname = geom.name if geom is not None else None
    cols = columns if columns is not None else [c for c in df.columns if c != gname]
    for c in cols:
        if (out[c].dtype == object or pd.api.types.is_string_dtype(out[c])
                or isinstance(out[c].dtype, pd.CategoricalDtype)):  # categories escaped too (a large CSV's columns)
            out[c] = out[c].map(esc)
        elif pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return out


def format_date(ts: pd.Timestamp, precision: str) -> str:
    """A date shown no finer than its precision (months as YYYY-MM).

    Parameters
    ----------
    ts : Timestamp
        The date (NaT gives the empty string).
    precision : str
        ``"month"`` for month-precision records (police.uk), anything else
        for exact dates.

    Returns
    -------
    str
        ``YYYY-MM`` or ``YYYY-MM-DD``.
    """
    if pd.isna(ts):
        return ""
    return ts.strftime("%Y-%m" if precision == "month" else "%Y-%m-%d")


_LEGEND = Template("""
{% macro html(this, kwargs) %}
<div class="{{ this.css_class }}" style="position:absolute;z-index:1000;{{ this.position }};background:rgba(255,255,255,0.92);
 padding:6px 9px;border:1px solid #888;border-radius:4px;font:12px/1.4 sans-serif;max-width:260px;max-height:45%;overflow:auto;">
{{ this.body }}
</div>
{% endmacro %}
""")


class Legend(MacroElement):
    """A fixed legend box; ``items`` are (colour, label) pairs, escaped here."""

    def __init__(self, title: str, items: Sequence[tuple[str, str]], position: str = "top:10px;left:54px"):
        super().__init__()
        self._name = "Legend"
        self._template = _LEGEND
        self.css_class = "hotspot-legend"
        rows = "".join(
            f'<div><span style="display:inline-block;width:12px;height:12px;background:{esc(c)};'
            f'border:1px solid #555;margin-right:5px;vertical-align:middle"></span>{esc(label)}</div>'
            for c, label in items
        )
        self.body = f"<b>{esc(title)}</b>{rows}"
        self.position = position


class NoteBox(MacroElement):
    """A fixed box of plain-text notes (e.g. what a reference layer cannot
    tell), escaped here; drawn like the legend."""

    def __init__(self, title: str, notes: Sequence[str], position: str = "bottom:24px;left:10px"):
        super().__init__()
        self._name = "NoteBox"
        self._template = _LEGEND  # the legend's look under its own class (scripts read the legend by its class)
        self.css_class = "hotspot-notes"
        self.body = f"<b>{esc(title)}</b>" + "".join(f'<div class="map-note">{esc(n)}</div>' for n in notes)
        self.position = position


class HotspotMap:
    """A Leaflet map of one study area.

    Parameters
    ----------
    area : Area
        The study area (its outline is always drawn and the map fits to it).
    tiles : str, optional
        Base tiles (see :func:`add_base_tiles`): ``"osm"``, ``"light"``, an
        XYZ URL template or ``wms:URL?layers=NAME``; default none: the map is
        readable from its own layers.
    title : str, optional
    """

    def __init__(self, area: Area, *, tiles: str | None = None, title: str | None = None):
        self.area = area
        self.crs = area.crs
        lon, lat = to_lonlat([area.geometry.centroid.x], [area.geometry.centroid.y], self.crs)
        self.map = folium.Map(location=[float(lat[0]), float(lon[0])], zoom_start=12, tiles=None,
                              control_scale=True, prefer_canvas=False,
                              maxZoom=19, minZoom=8)  # no tiles: markercluster needs a maxZoom
        self.tiles = add_base_tiles(self.map, tiles)
        if title:
            root = self.map.get_root()
            assert isinstance(root, Figure)  # a folium.Map's root is always its Figure
            root.html.add_child(folium.Element(f"<title>{esc(title)}</title>"))
        self.legend_items: list[tuple[str, str]] = []
        self.layer_names: list[str] = []
        b = gpd.GeoSeries([area.geometry], crs=self.crs).to_crs(4326).total_bounds
        self.map.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
        self.add_polygons(area.to_gdf(), f"Area: {area.name}", colour=COLOURS["area"], weight=3,
                          fill_opacity=0.0, tooltip=["name", "code"], legend=f"{area.name} boundary")

    # -- generic layers -------------------------------------------------------
    def add_layer(self, layer: folium.FeatureGroup | folium.map.Layer, legend: tuple[str, str] | None = None) -> None:
        """Add a ready folium layer (later analyses use this).

        Parameters
        ----------
        layer : folium.FeatureGroup or folium.map.Layer
            The layer; its ``layer_name`` is recorded for the layer control.
        legend : (str, str), optional
            ``(colour, label)`` added to the legend box.
        """
        layer.add_to(self.map)
        self.layer_names.append(layer.layer_name)
        if legend:
            self.legend_items.append(legend)

    def add_polygons(
        self, gdf: gpd.GeoDataFrame, name: str, *, colour: str, weight: float = 1.5, fill_opacity: float = 0.2,
        tooltip: Sequence[str] | None = None, aliases: Sequence[str] | None = None, legend: str | None = None,
        show: bool = True, fill_column: str | None = None,
    ) -> folium.GeoJson:
        """Add polygons or lines with an escaped tooltip.

        Parameters
        ----------
        gdf : GeoDataFrame
            Polygons or lines in any CRS (drawn in WGS84).
        name : str
            Layer name in the layer control (escaped).
        colour : str
            CSS colour of the outline (and the fill without ``fill_column``).
        weight : float
            Outline width, pixels.
        fill_opacity : float
            Fill opacity, 0 (none) to 1.
        tooltip : sequence of str, optional
            Columns shown in the tooltip (escaped); none: no tooltip.
        aliases : sequence of str, optional
            Labels of the ``tooltip`` columns (default the column names).
        legend : str, optional
            Legend label; none: not in the legend.
        show : bool
            Layer visible when the page opens.
        fill_column : str, optional
            A column of CSS colours used per feature (outline and fill).

        Returns
        -------
        folium.GeoJson
            The layer added.
        """
        fields = list(tooltip or [])
        keep = fields + ([fill_column] if fill_column else [])
        data = escape_frame(gdf[keep + [gdf.geometry.name]].to_crs(4326), fields)

        def style(feature, colour=colour):
            fill = feature["properties"].get(fill_column, colour) if fill_column else colour
            return {"color": colour if not fill_column else fill, "weight": weight, "fillColor": fill,
                    "fillOpacity": fill_opacity}

        layer = folium.GeoJson(
            data, name=esc(name), style_function=style, show=show,
            tooltip=folium.GeoJsonTooltip(fields=fields, aliases=list(aliases or fields)) if fields else None,
        )
        self.add_layer(layer, (colour, legend) if legend else None)
        return layer

    def add_points(self, gdf: gpd.GeoDataFrame, name: str, *, colour: str, radius: float = 6,
                   tooltip: str | None = None, label: str | None = None, legend: str | None = None,
                   shape: str = "circle", show: bool = True, css_class: str = "") -> folium.FeatureGroup:
        """Markers; ``tooltip`` and ``label`` name columns (escaped).

        Parameters
        ----------
        gdf : GeoDataFrame
            Points in any CRS (drawn in WGS84).
        name : str
            Layer name in the layer control (escaped).
        colour : str
            CSS colour of the markers.
        radius : float
            Marker radius, pixels (badges are ``2 * radius + 4`` pixels wide).
        tooltip : str, optional
            Column whose text is the marker's tooltip (escaped).
        label : str, optional
            Column drawn as a permanent number/short text on the marker.
        legend : str, optional
            Legend label; none: not in the legend.
        shape : str
            ``circle`` (circle markers), or ``square``/``diamond`` (numbered
            badges, so layers of numbered sites never look alike).
        show : bool
            Layer visible when the page opens.
        css_class : str
            Class added to badge markers (for tests and print styles).

        Returns
        -------
        folium.FeatureGroup
            The layer added.
        """
        fg = folium.FeatureGroup(name=esc(name), show=show)
        pts = gdf.to_crs(4326)
        if shape != "circle":
            size = int(2 * radius + 4)
            rot = "transform:rotate(45deg);" if shape == "diamond" else ""
            unrot = "transform:rotate(-45deg);" if shape == "diamond" else ""
            for _, row in pts.iterrows():
                g = row.geometry
                text = esc(row[label]) if label else ""
                html = (f'<div class="hotspot-badge {esc(css_class)}" style="width:{size}px;height:{size}px;'
                        f'margin:-{size // 2}px 0 0 -{size // 2}px;background:{colour};border:2px solid #fff;'
                        f'box-shadow:0 0 0 1px {colour};border-radius:{"2px" if shape == "square" else "3px"};{rot}'
                        f'display:flex;align-items:center;justify-content:center">'
                        f'<span style="{unrot}font:bold 11px sans-serif;color:#fff">{text}</span></div>')
                folium.Marker([g.y, g.x], icon=folium.DivIcon(html=html, icon_size=(0, 0)),
                              tooltip=esc(row[tooltip]) if tooltip else None).add_to(fg)
            self.add_layer(fg, (colour, legend) if legend else None)
            return fg
        for _, row in pts.iterrows():
            g = row.geometry
            folium.CircleMarker(
                [g.y, g.x], radius=radius, color=colour, weight=2, fill=True, fill_opacity=0.8,
                tooltip=esc(row[tooltip]) if tooltip else None,
            ).add_to(fg)
            if label:
                folium.Marker([g.y, g.x], icon=folium.DivIcon(icon_size=(0, 0), html=(
                    f'<div style="font:bold 11px/14px sans-serif;color:#fff;text-align:center;'
                    f'width:20px;height:14px;margin:-7px 0 0 -10px">{esc(row[label])}</div>'))).add_to(fg)
        self.add_layer(fg, (colour, legend) if legend else None)
        return fg

    # -- foundation layers -----------------------------------------------------
    def add_neighbours(self, gdf: gpd.GeoDataFrame, name_column: str | None = None) -> None:
        """Neighbouring areas, outlined in grey.

        Parameters
        ----------
        gdf : GeoDataFrame
            The neighbouring areas' polygons; empty: nothing drawn.
        name_column : str, optional
            Column shown in the tooltip (default the first column with
            "name" in its name).
        """
        if gdf.empty:
            return
        col = name_column or next((c for c in gdf.columns if "name" in c.lower()), None)
        self.add_polygons(gdf, "Neighbouring areas", colour=COLOURS["neighbour"], weight=1.5, fill_opacity=0.05,
                          tooltip=[col] if col else None, legend="Neighbouring areas")

    def add_incidents(self, incidents: gpd.GeoDataFrame, *, show_points: bool = False, cell: float = 100.0,
                      name: str = "Incidents", show_markers: bool = True) -> None:
        """Incidents as a heat layer and as clustered markers.

        police.uk points (month precision) are shown at their own snap points,
        one marker per point with its count. Exact-date records are pooled
        into ``cell``-metre grid cells unless ``show_points`` is set.

        Parameters
        ----------
        incidents : GeoDataFrame
            Incidents in the map's working CRS (``occurred``,
            ``date_precision``, ``location_text``); empty: nothing drawn.
        show_points : bool
            Show exact-date records at their own points (not for public maps).
        cell : float
            Pooling cell size for exact-date records, metres (default 100).
        name : str
            Layer name prefix in the layer control and the legend.
        show_markers : bool
            Marker layer visible when the page opens.
        """
        if incidents.empty:
            return
        groups = incident_groups(incidents, show_points=show_points, cell=cell)
        lon, lat = to_lonlat(groups["x"], groups["y"], self.crs)
        heat = [[float(a), float(o), float(w)] for a, o, w in zip(lat, lon, groups["count"])]
        self.add_layer(folium.plugins.HeatMap(heat, name=esc(f"{name}: heat"), radius=14, blur=18,
                                              max_zoom=16, min_opacity=0.3))
        rows = [[float(a), float(o), t] for a, o, t in zip(lat, lon, groups["tooltip"])]
        callback = (
            "function (row) {"
            f" var m = L.circleMarker(new L.LatLng(row[0], row[1]), {{radius: 5, color: '{COLOURS['incident']}',"
            " weight: 1, fillOpacity: 0.7});"
            " m.bindTooltip(row[2]); return m; }"
        )
        # FastMarkerCluster's template adds itself to the map whatever its
        # ``show``; inside a FeatureGroup the layer control decides
        group = folium.FeatureGroup(name=esc(f"{name}: markers"), show=show_markers)
        folium.plugins.FastMarkerCluster(rows, callback=callback, control=False).add_to(group)
        self.add_layer(group, (COLOURS["incident"], f"{name} ({len(incidents):,})"))

    # -- output ----------------------------------------------------------------
    def render(self) -> str:
        """The page as one self-contained HTML string."""
        folium.LayerControl(collapsed=False).add_to(self.map)
        if self.legend_items:
            self.map.add_child(Legend("Legend", self.legend_items))
        return self_contained(self.map.get_root().render())

    def save(self, path: str | Path) -> Path:
        """Write the self-contained page; returns its path.

        Parameters
        ----------
        path : str or Path
            Where to write; missing parent folders are created.

        Returns
        -------
        Path
            The path written.
        """
        return write_page(path, self.render())


def incident_groups(incidents: gpd.GeoDataFrame, *, show_points: bool = False, cell: float = 100.0) -> pd.DataFrame:
    """Incidents pooled to what a public map may show, with tooltips.

    Parameters
    ----------
    incidents : GeoDataFrame
        Incidents in the working CRS (metres) with ``occurred``,
        ``date_precision`` and ``location_text``.
    show_points : bool
        Keep exact-date records at their own points (rounded to 0.1 m)
        instead of pooling them into cells.
    cell : float
        Pooling cell size for exact-date records, metres (default 100).

    Returns
    -------
    DataFrame
        ``x, y`` (working CRS, metres), ``count`` and an escaped ``tooltip``
        (count, date or month range, commonest location text, latest
        outcome).
    """
    x = incidents.geometry.x.to_numpy()
    y = incidents.geometry.y.to_numpy()
    month_level = (incidents["date_precision"] == "month").all()
    if month_level or show_points:
        kx, ky = np.round(x, 1), np.round(y, 1)
    else:
        # Cell centres: nothing finer than the cell is ever written out.
        kx = (np.floor(x / cell) + 0.5) * cell
        ky = (np.floor(y / cell) + 0.5) * cell
    precision = "month" if month_level else "day"
    outcome_col = next((c for c in ("Last outcome category", "outcome") if c in incidents.columns), None)
    df = pd.DataFrame({
        "x": kx, "y": ky, "occurred": incidents["occurred"].to_numpy(),
        "loc": incidents["location_text"].fillna("").to_numpy(),
        # as objects first: a Categorical (a large CSV's outcome column) cannot take "" unless it is a category
        "outcome": incidents[outcome_col].astype(object).fillna("").to_numpy() if outcome_col else "",
    }).sort_values("occurred", kind="stable")
    out = df.groupby(["x", "y"], sort=False).agg(count=("occurred", "size"), first=("occurred", "min"),
                                                  last=("occurred", "max"), outcome=("outcome", "last")).reset_index()
    # commonest location text per place (ties: alphabetically first), in one
    # grouped count rather than a Python mode() per place
    texts = df.groupby(["x", "y", "loc"], sort=False).size().reset_index(name="n")
    texts = texts.sort_values(["n", "loc"], ascending=[False, True], kind="stable").drop_duplicates(["x", "y"])
    out = out.merge(texts[["x", "y", "loc"]], on=["x", "y"], how="left")
    first = out["first"].map(lambda t: format_date(t, precision))
    last = out["last"].map(lambda t: format_date(t, precision))
    when = np.where(first == last, first, first + " to " + last)
    tips = []
    for n, w, loc, oc in zip(out["count"], when, out["loc"], out["outcome"]):
        t = f"<b>{n} incident{'' if n == 1 else 's'}</b><br>{esc(w)}"
        if loc:
            t += f"<br>{esc(loc)}"
        if oc:
            t += f"<br>Latest outcome: {esc(oc)}"
        if not month_level and not show_points:
            t += f"<br><i>{cell:g} m cell</i>"
        tips.append(t)
    out["tooltip"] = tips
    return out[["x", "y", "count", "tooltip"]]
