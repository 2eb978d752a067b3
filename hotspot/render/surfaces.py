"""Surfaces and hotspots on a map: a density or forecast surface as an
image, hotspot polygons, Gi* hot and cold cells, and a month-by-month heat
slider (drawing for :mod:`hotspot.kde`, :mod:`hotspot.hotspots` and
:mod:`hotspot.forecast`, which compute and draw nothing)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
from branca.element import MacroElement, Template

from ..crs import to_lonlat
from .leaflet import COLOURS, HotspotMap, esc, incident_groups

if TYPE_CHECKING:  # annotations only: kde draws nothing and does not import this module
    from ..areas import Area
    from ..hotspots import DensityHotspots
    from ..kde import Surface


def _surface_png(surface, vmax: float, cmap: str, max_px: int = 1400) -> tuple[str, list[list[float]]]:
    """The surface resampled onto a Web Mercator raster (what Leaflet shows),
    coloured, as a PNG data URI, with its lat/lon bounds."""
    import base64
    import io

    import matplotlib
    from PIL import Image

    from ..crs import transformer

    g = surface.grid
    t = transformer(g.crs, "EPSG:3857")
    x0, y0, x1, y1 = t.transform_bounds(g.x0, g.y0, g.x0 + g.nx * g.cell, g.y0 + g.ny * g.cell)
    scale = max(g.nx, g.ny) * 1.5
    w = int(min(max_px, max(64, scale * (x1 - x0) / max(x1 - x0, y1 - y0))))
    h = int(min(max_px, max(64, scale * (y1 - y0) / max(x1 - x0, y1 - y0))))
    px = x0 + (np.arange(w) + 0.5) * (x1 - x0) / w
    py = y1 - (np.arange(h) + 0.5) * (y1 - y0) / h  # image rows run north to south
    PX, PY = np.meshgrid(px, py)
    gx, gy = t.transform(PX.ravel(), PY.ravel(), direction="INVERSE")
    row, col, ok = g.index(gx, gy)
    vals = np.full(PX.size, np.nan)
    inside = ok.copy()
    inside[ok] = surface.mask[row[ok], col[ok]]
    vals[inside] = surface.values[row[inside], col[inside]]
    norm = np.clip(vals / vmax, 0, 1) if vmax > 0 else np.zeros_like(vals)
    rgba = matplotlib.colormaps[cmap](np.nan_to_num(norm))
    rgba[..., 3] = np.where(np.isfinite(vals) & (vals > 0), 0.25 + 0.75 * np.nan_to_num(norm), 0.0)
    img = Image.fromarray((rgba.reshape(h, w, 4) * 255).astype(np.uint8), "RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    lon, lat = transformer("EPSG:3857", "EPSG:4326").transform([x0, x1], [y0, y1])
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return uri, [[lat[0], lon[0]], [lat[1], lon[1]]]


def add_surface(m: HotspotMap, surface: Surface, name: str, *, opacity: float = 0.75, cmap: str = "YlOrRd",
                show: bool = True) -> None:
    """A surface as a semi-transparent image (inlined PNG) with a legend in
    its units; colours saturate at the 99th percentile of in-area values.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    surface : Surface
        Density or forecast surface (values in ``surface.units``, e.g.
        incidents per km² or expected incidents per cell).
    name : str
        Layer and legend name.
    opacity : float
        Image opacity, 0-1.
    cmap : str
        Matplotlib colour map name.
    show : bool
        Visible when the map opens.
    """
    import matplotlib

    vals = surface.values[surface.mask]
    pos = vals[vals > 0]
    vmax = float(np.quantile(pos, 0.99)) if len(pos) else 0.0
    uri, bounds = _surface_png(surface, vmax, cmap)
    layer = folium.raster_layers.ImageOverlay(uri, bounds=bounds, opacity=opacity, name=esc(name), show=show,
                                              interactive=False, zindex=2)
    m.add_layer(layer)
    cm = matplotlib.colormaps[cmap]
    for q in (0.25, 0.5, 1.0):
        r, g, b, _ = cm(q)
        m.legend_items.append((f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}",
                               f"{name}: {'≥ ' if q == 1.0 else ''}{q * vmax:,.3g} {surface.units}"))


_SLIDER = Template("""
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var layers = [{% for n in this.layer_names %}{{ n }}{% if not loop.last %}, {% endif %}{% endfor %}];
  var labels = {{ this.labels_json }};
  var Slider = L.Control.extend({
    options: {position: 'bottomleft'},
    onAdd: function () {
      var div = L.DomUtil.create('div', 'hotspot-month-slider');
      div.style.cssText = 'background:rgba(255,255,255,0.92);padding:6px 9px;border:1px solid #888;border-radius:4px;font:12px sans-serif';
      var label = L.DomUtil.create('div', '', div);
      var input = L.DomUtil.create('input', '', div);
      input.type = 'range'; input.min = 0; input.max = layers.length - 1; input.value = layers.length - 1;
      input.style.width = '220px';
      L.DomEvent.disableClickPropagation(div);
      function show(k) {
        layers.forEach(function (l, i) { if (i !== k && map.hasLayer(l)) { map.removeLayer(l); } });
        if (!map.hasLayer(layers[k])) { map.addLayer(layers[k]); }
        label.textContent = {{ this.title_json }} + ': ' + labels[k];
      }
      input.addEventListener('input', function () { show(parseInt(input.value, 10)); });
      show(layers.length - 1);
      return div;
    }
  });
  map.addControl(new Slider());
})();
{% endmacro %}
""")


class MonthSlider(MacroElement):
    """A range control that shows one of several layers at a time."""

    def __init__(self, layers: list, labels: list[str], title: str):
        super().__init__()
        self._name = "MonthSlider"
        self._template = _SLIDER
        self.layer_names = [lay.get_name() for lay in layers]
        # JSON inside a script: escape "<" so no text can close the element
        self.labels_json = json.dumps([esc(x) for x in labels]).replace("<", "\\u003c")
        self.title_json = json.dumps(esc(title)).replace("<", "\\u003c")


def add_month_slider(m: HotspotMap, incidents: gpd.GeoDataFrame, *, months: int = 12, name: str = "Monthly heat") -> None:
    """One heat layer per month for the last ``months`` months, with a slider
    that shows one month at a time.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    incidents : GeoDataFrame
        Incidents (working CRS, metres) with ``occurred``.
    months : int
        Number of calendar months ending at the latest incident's month.
    name : str
        Slider title and layer-name prefix.
    """
    if incidents.empty:
        return
    per = incidents["occurred"].dt.to_period("M")
    last = per.max()
    layers, labels = [], []
    for k in range(months - 1, -1, -1):
        p = last - k
        sub = incidents[per == p]
        groups = incident_groups(sub) if len(sub) else None
        fg = folium.FeatureGroup(name=esc(f"{name} {p}"), show=False, control=False)
        if groups is not None:
            lon, lat = to_lonlat(groups["x"], groups["y"], m.crs)
            folium.plugins.HeatMap([[float(a), float(o), float(w)] for a, o, w in zip(lat, lon, groups["count"])],
                                   radius=14, blur=18, min_opacity=0.3).add_to(fg)
        fg.add_to(m.map)
        layers.append(fg)
        labels.append(f"{p} ({len(sub):,})")
    m.map.add_child(MonthSlider(layers, labels, name))


def add_hotspots_to_map(m: HotspotMap, polygons: gpd.GeoDataFrame, name: str = "Hotspots") -> None:
    """Hotspot polygons with rank, incidents and share in the tooltip.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    polygons : GeoDataFrame
        From :func:`hotspot.hotspots.hotspot_polygons` (``rank``,
        ``incidents``, ``share`` 0-1, ``area_km2`` in km²), or public ones
        (:func:`hotspot.disclosure.public_hotspots`: ``burglaries`` as a
        band, no share).
    name : str
        Layer and legend name.
    """
    if polygons.empty:
        return
    p = polygons.copy()
    if "incidents" in p:
        p["tip"] = [f"Hotspot {r.rank}: {r.incidents:,} incidents ({r.share:.1%} of all), {r.area_km2:.3f} km²"
                    for r in p.itertuples()]
    else:
        p["tip"] = [f"Hotspot {r.rank}: {r.burglaries} burglaries, {r.area_km2:.3f} km²" for r in p.itertuples()]
    p = p[["tip", p.geometry.name]]
    m.add_polygons(p, name, colour=COLOURS["hot"], weight=2, fill_opacity=0.1, tooltip=["tip"], aliases=["Hotspot"],
                   legend=name)


def add_gi_to_map(m: HotspotMap, gi: gpd.GeoDataFrame, name: str = "Gi*") -> None:
    """Significant Gi* hot (red) and cold (blue) cells.

    Parameters
    ----------
    m : HotspotMap
        The map drawn on.
    gi : GeoDataFrame
        From :func:`hotspot.hotspots.gi_star` (``class`` hot/cold/ns, ``z``,
        ``p_sim``, ``count`` incidents per cell).
    name : str
        Layer and legend name prefix.
    """
    for cls, colour in (("hot", COLOURS["hot"]), ("cold", COLOURS["cold"])):
        sub = gi[gi["class"] == cls].copy()
        if sub.empty:
            continue
        sub["tip"] = [f"Gi* {cls}: z = {z:.2f}, p = {p:.3f}, {int(c)} incidents" for z, p, c in
                      zip(sub["z"], sub["p_sim"], sub["count"])]
        m.add_polygons(sub, f"{name} {cls} spots (FDR 5%)", colour=colour, weight=0.5, fill_opacity=0.35,
                       tooltip=["tip"], aliases=["Gi*"], legend=f"{name} {cls} spots", show=False)


def density_map(area: Area, res: DensityHotspots, *, tiles: str | None = None) -> HotspotMap:
    """The ``kde`` command's map: neighbours, the surface (classes when
    public), hotspots, Gi* when computed and, unless public, the monthly heat
    slider.

    Parameters
    ----------
    area : Area
        The study area.
    res : DensityHotspots
        From :func:`hotspot.hotspots.density_hotspots`.
    tiles : str, optional
        Base map (see :class:`HotspotMap`).

    Returns
    -------
    HotspotMap
        Save it with :meth:`HotspotMap.save`.
    """
    m = HotspotMap(area, tiles=tiles, title=f"{area.name}: burglary density")
    m.add_neighbours(area.neighbours())
    add_surface(m, res.surface, f"Density (bandwidth {res.surface.meta['bandwidth_m']:g} m)"
                + (", classes" if res.public else ""))
    add_hotspots_to_map(m, res.polygons)
    if res.gi is not None:
        add_gi_to_map(m, res.gi)
    if not res.public:  # the slider's monthly heat layers are drawn from points
        add_month_slider(m, res.incidents)
    return m
