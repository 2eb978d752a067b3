"""Where the reference data lives: the folder (``--data``, ``$HOTSPOT_DATA_DIR``
or ``../shared/data``) and the layers every job fills from it when the user
gives none.

The analytics modules take paths and layers; only the jobs (and the CLI)
look things up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import CRS

from .. import settings
from .._errors import InputFileError
from ..areas import Area
from ..places import read_postcodes
from ..report.london import LondonContext


@dataclass
class ReferenceData:
    """Where the reference files live (the layout of ``../shared/data``).

    Nothing here names an area: the incidents are the London-wide file (every
    borough), read for whichever area is asked.
    """

    root: Path

    def _one(self, pattern: str) -> Path:
        found = sorted(self.root.glob(pattern))
        if not found:
            raise InputFileError(f"{self.root}: no file matching {pattern}")
        return found[-1]

    def _maybe(self, pattern: str) -> Path | None:
        found = sorted(self.root.glob(pattern))
        return found[-1] if found else None

    def _prefer(self, *patterns: str) -> Path | None:
        """The first pattern that finds a file: the London-wide ``london_*``
        layer before the Barnet-area one (the area files are named so that
        their patterns never pick up the London files by accident)."""
        return next((p for p in map(self._maybe, patterns) if p is not None), None)

    @property
    def incidents(self) -> Path:
        """Every Met burglary (police.uk rows), all boroughs."""
        return self._one("crime/london_burglary_police_uk_*.parquet")

    @property
    def postcodes(self) -> Path | None:
        """Postcode unit points (OS Code-Point Open), if the folder has them."""
        return self._prefer("postcodes/london_codepoint_open_units*.parquet", "postcodes/codepoint_open_units_*.geojson")

    @property
    def boroughs(self) -> Path:
        """The boundary layer of the areas (London boroughs)."""
        return self._one("boundaries/london_boroughs.geojson")

    def london_files(self) -> dict[str, Path]:
        """The files of :meth:`hotspot.report.LondonContext.from_files`."""
        # the incident file counts one burglary per Crime ID, as the report does
        counts = (self._maybe("crime/london_burglary_police_uk_*.parquet")
                  or self._one("crime/london_burglary_lsoa_month_counts_*.csv.gz"))
        return {"counts_csv": counts,
                "population_csv": self._one("demographics/london_lsoa_population_mid2015.csv"),
                "households_csv": self._one("demographics/lsoa2011_census2011_population_households.csv"),
                "imd_csv": self._one("demographics/london_lsoa_imd2019.csv"),
                "boroughs_layer": self.boroughs}

    def london_context(self) -> LondonContext:
        """Borough counts, population, households and peer measures.

        Returns
        -------
        LondonContext
            Read from :meth:`london_files`.
        """
        return LondonContext.from_files(**self.london_files())

    def lsoa_units(self, area: Area) -> gpd.GeoDataFrame:
        """2011 LSOAs of the area with Census 2011 households.

        Parameters
        ----------
        area : Area
            The study area (metres).

        Returns
        -------
        GeoDataFrame
            See :func:`hotspot.campaigns.lsoa_units`.
        """
        from ..campaigns.units import lsoa_units

        return lsoa_units(self.lsoa_file or self._one("boundaries/lsoa2011_*.geojson"),
                          self._one("demographics/lsoa2011_census2011_population_households.csv"), area)

    @property
    def lsoa_file(self) -> Path | None:
        """2011 LSOA polygons: London-wide if the folder has them, else the Barnet-area file."""
        return self._prefer("boundaries/london_lsoa2011*.geojson", "boundaries/lsoa2011_*.geojson")

    @property
    def red_route_file(self) -> Path | None:
        """TfL red-route (TLRN) polygons: London-wide first, else the Barnet-area file."""
        return self._prefer("roads/london_tfl_tlrn_red_route_areas*.geojson",
                            "roads/tfl_tlrn_red_route_areas_*.geojson")

    @property
    def lads(self) -> Path:
        """The local authority districts layer (neighbours beyond London)."""
        return self._one("boundaries/lads_*.geojson")

    @property
    def districts(self) -> Path | None:
        """:attr:`lads` when the folder has it, else None (then the boundary layer names the neighbours)."""
        return self._maybe("boundaries/lads_*.geojson")

    def road_layers(self, crs: str | int | CRS) -> dict[str, gpd.GeoDataFrame]:
        """The partial road layers (motorways, bus-route paths) as lines.

        Parameters
        ----------
        crs : str, int or pyproj.CRS
            The working CRS (metres) to project into.

        Returns
        -------
        dict of str to GeoDataFrame
            Layer name -> lines with a ``road`` column (see
            :func:`hotspot.crossborder.read_roads`).
        """
        from ..crossborder import read_roads

        return {name: read_roads(path, crs) for name, path in self.road_files().items()}

    def road_files(self) -> dict[str, Path]:
        """The files of :meth:`road_layers`, by layer name."""
        found = {"OSM motorways": self._prefer("roads/london_osm_motorways*.geojson", "roads/osm_motorways_*.geojson"),
                 "TfL bus routes": self._prefer("roads/london_tfl_bus_routes*.geojson",
                                                "roads/tfl_bus_routes_*.geojson")}
        missing = [name for name, p in found.items() if p is None]
        if missing:
            raise InputFileError(f"{self.root}: no {' or '.join(missing)} layer under roads/")
        return {name: p for name, p in found.items() if p is not None}

    def red_routes(self) -> gpd.GeoDataFrame:
        """TfL red-route (TLRN) polygons, in the file's CRS."""
        path = self.red_route_file
        if path is None:
            raise InputFileError(f"{self.root}: no file matching roads/*tfl_tlrn_red_route_areas*.geojson")
        return gpd.read_file(path)

    def count_points(self, crs: str | int | CRS) -> gpd.GeoDataFrame:
        """DfT count points with their latest counted flow.

        Parameters
        ----------
        crs : str, int or pyproj.CRS
            The working CRS (metres) to project into.

        Returns
        -------
        GeoDataFrame
            See :func:`hotspot.crossborder.count_point_flows`.
        """
        from ..crossborder import count_point_flows

        pts = gpd.read_file(self._one("roads/london_dft_traffic_count_points.geojson")).to_crs(crs)
        return count_point_flows(pts, pd.read_csv(self._one("roads/london_dft_traffic_counts_*.csv")))

    def traffic_cameras(self, crs: str | int | CRS) -> gpd.GeoDataFrame:
        """TfL JamCam traffic cameras (NOT ANPR): context beside the planned
        sites (a pole and power may be there), never cover, since they read
        no number plate.

        Parameters
        ----------
        crs : str, int or pyproj.CRS
            The working CRS (metres) to project into.

        Returns
        -------
        GeoDataFrame
            The camera points in ``crs``.
        """
        return gpd.read_file(self._one("cameras/tfl_jamcams_*.geojson")).to_crs(crs)

    def path(self, relative: str) -> Path:
        """A reference file by its path under the root.

        Parameters
        ----------
        relative : str
            Path below :attr:`root` (e.g. ``"boundaries/london_boroughs.geojson"``).

        Returns
        -------
        Path
            The file's path.

        Raises
        ------
        InputFileError
            No such file.
        """
        p = self.root / relative
        if not p.exists():
            raise InputFileError(f"{p}: reference file not found")
        return p


def resolve_data_dir(data: str | Path | None = None) -> Path | None:
    """``data`` if given, else ``$HOTSPOT_DATA_DIR``, else ``../shared/data``
    beside the checkout; None when there is none (then the demo downloads).

    Parameters
    ----------
    data : str or Path, optional
        The folder the user gave (``--data``).

    Returns
    -------
    Path or None
        The reference data folder, or None when there is none.

    Raises
    ------
    InputFileError
        ``data`` is given but is not a folder.
    """
    if data is not None:
        p = Path(data)
        if not p.is_dir():
            raise InputFileError(f"{p}: data folder not found")
        return p
    return settings.shared_data_dir()


# the `brief`, `anpr` and `leaflets` commands' postcode layer (was hotspot.places.postcode_layer)
def postcode_layer(path: str | Path | None, crs: str | int | CRS, *, column: str | None = None,
                   data: str | Path | None = None) -> gpd.GeoDataFrame | None:
    """The postcode layer the ``brief``, ``anpr`` and ``leaflets`` commands
    use: ``path`` if given, else the reference data folder's postcode units
    when there are any, else None.

    Parameters
    ----------
    path : path, optional
        GeoJSON/GeoPackage of postcode points or polygons.
    crs : CRS-like
        The working CRS (metres).
    column : str, optional
        The postcode column (see :func:`read_postcodes`).
    data : path, optional
        Reference data folder (default ``$HOTSPOT_DATA_DIR`` or ``../shared/data``, if any).

    Returns
    -------
    GeoDataFrame or None
        Points with a ``postcode`` column, or None when there is no layer.
    """
    if path is not None:
        return read_postcodes(path, crs, column=column)
    root = resolve_data_dir(data)
    found = ReferenceData(root).postcodes if root is not None else None
    return read_postcodes(found, crs, column=column) if found is not None else None


def optional_reference(data: str | Path | None = None) -> ReferenceData | None:
    """The reference data when given or found (``../shared/data``), else None.

    Parameters
    ----------
    data : path, optional
        The folder the user gave (``--data``).

    Returns
    -------
    ReferenceData or None
    """
    root = resolve_data_dir(data)
    return ReferenceData(root) if root is not None else None


def read_layer(path: Path, crs: str | int | CRS) -> gpd.GeoDataFrame:
    """A layer the user gave (candidates, cameras, units), in the working CRS.

    Parameters
    ----------
    path : Path
        GeoJSON/GeoPackage file; it must declare its CRS.
    crs : CRS-like
        The working CRS (metres).

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    InputFileError
        No such file.
    CRSError
        The layer declares no CRS.
    """
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    g = gpd.read_file(path)
    if g.crs is None:
        from .._errors import CRSError

        raise CRSError(f"{path}: layer has no CRS")
    return g.to_crs(crs)
