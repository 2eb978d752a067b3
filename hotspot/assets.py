"""Offline map assets: Leaflet and its plugins, inlined into every map.

Folium's pages load Leaflet, jQuery, Bootstrap and fonts from public CDNs, so
on a closed network (CI, many police networks) they show nothing. ``hotspot``
maps instead inline the exact JavaScript and CSS they use from a local cache.
The cache is filled from the npm registry's package tarballs, pinned by
version and SHA-256, with pooch (``hotspot assets``), or from tarballs the
user already has (``npm pack`` output: ``hotspot assets --from DIR``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ._errors import FetchError
from .settings import NPM_REGISTRY, cache_dir


@dataclass(frozen=True)
class AssetPackage:
    """An npm package pinned by version and tarball checksum, and the files
    taken from it (name in the tarball -> SHA-256)."""

    name: str
    version: str
    sha256: str
    files: dict[str, str]

    @property
    def tarball(self) -> str:
        """File name of the package tarball (``npm pack`` names it so)."""
        return f"{self.name.split('/')[-1]}-{self.version}.tgz"

    @property
    def url(self) -> str:
        """Download address of the tarball on the npm registry."""
        return f"{NPM_REGISTRY}/{self.name}/-/{self.tarball}"


PACKAGES: dict[str, AssetPackage] = {
    "leaflet": AssetPackage(
        "leaflet", "1.9.4", "84c65a256e50657896f54c33bd857b6849ebe94c817803be818bf32a3dde0b77",
        {
            "package/dist/leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
            "package/dist/leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
            "package/dist/images/layers.png": "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
            "package/dist/images/layers-2x.png": "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
        },
    ),
    "leaflet.markercluster": AssetPackage(
        "leaflet.markercluster", "1.5.3", "fc6b0b1d00b6c708ae54e43ee4a11ac345e41660e19f0a570190bb35babb1a1c",
        {
            "package/dist/leaflet.markercluster.js": "1e4e1d22972a3926f48598e0caf14e3fe7049835d428a344fed4f9e3665b3508",
            "package/dist/MarkerCluster.css": "614dea0a98ff3f4ead74f04918f6b1d1b9ba435c25b5fc23b21a394d1e3e4d87",
            "package/dist/MarkerCluster.Default.css": "61258232d98d64dc2a7b1e02130d67421bc5b9bda5994eef70228ff97570c170",
        },
    ),
    "leaflet.heat": AssetPackage(
        "leaflet.heat", "0.2.0", "6d980bce16b6bbe8e3b124d200dfd12964ff8f6bfff44eb3a47344f97dfc5c7f",
        {"package/dist/leaflet-heat.js": "eb952aae5806a1102729f291bab887dde783ace859819a354827a776e73e486a"},
    ),
}

#: JavaScript marker of each plugin in a rendered page -> the package it needs.
PLUGIN_MARKERS = {"L.markerClusterGroup": "leaflet.markercluster", "L.heatLayer": "leaflet.heat"}


def asset_dir() -> Path:
    """Folder of the extracted assets."""
    return cache_dir() / "assets"


def _pkg_dir(pkg: AssetPackage) -> Path:
    return asset_dir() / f"{pkg.name}-{pkg.version}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _extract(pkg: AssetPackage, tarball: Path) -> None:
    got = _sha256(tarball.read_bytes())
    if got != pkg.sha256:
        raise FetchError(f"{tarball}: SHA-256 {got} does not match {pkg.name}@{pkg.version} ({pkg.sha256})")
    out = _pkg_dir(pkg)
    out.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as tar:
        for member, digest in pkg.files.items():
            fileobj = tar.extractfile(member)
            if fileobj is None:  # a directory or link where the pinned file should be
                raise FetchError(f"{tarball}: {member} is not a regular file")
            data = fileobj.read()
            if _sha256(data) != digest:
                raise FetchError(f"{tarball}: {member} has an unexpected checksum")
            (out / Path(member).name).write_bytes(data)


def assets_installed() -> bool:
    """True when every pinned asset file is in the cache."""
    return all((_pkg_dir(p) / Path(m).name).is_file() for p in PACKAGES.values() for m in p.files)


def install_assets(source: str | Path | None = None, *, progress: bool = False) -> Path:
    """Fill the asset cache.

    Parameters
    ----------
    source : path, optional
        Folder holding the package tarballs (``npm pack leaflet@1.9.4 ...``).
        Without it, the tarballs are downloaded from the npm registry with
        pooch and checked against their pinned SHA-256.
    progress : bool
        Show a download progress bar.

    Returns
    -------
    Path
        The asset folder.
    """
    for pkg in PACKAGES.values():
        if all((_pkg_dir(pkg) / Path(m).name).is_file() for m in pkg.files):
            continue
        if source is not None:
            tarball = Path(source) / pkg.tarball
            if not tarball.is_file():
                raise FetchError(f"{tarball}: not found (run `npm pack {pkg.name}@{pkg.version}` there)")
        else:
            import pooch

            try:
                tarball = Path(pooch.retrieve(pkg.url, known_hash=f"sha256:{pkg.sha256}",
                                              path=asset_dir() / "tarballs", fname=pkg.tarball, progressbar=progress))
            except Exception as exc:
                raise FetchError(f"cannot download {pkg.url}: {exc}") from None
        _extract(pkg, tarball)
    return asset_dir()


def ensure_assets() -> None:
    """Make sure the cache is filled, downloading it if it can."""
    if not assets_installed():
        try:
            install_assets()
        except FetchError as exc:
            raise FetchError(f"map assets are missing and could not be fetched ({exc}); "
                             "run `hotspot assets` on a machine with internet or `hotspot assets --from DIR`") from None


def _read(pkg: str, name: str) -> str:
    return (_pkg_dir(PACKAGES[pkg]) / name).read_text(encoding="utf-8")


def _leaflet_css() -> str:
    css = _read("leaflet", "leaflet.css")

    def data_uri(m: re.Match) -> str:
        png = _pkg_dir(PACKAGES["leaflet"]) / m.group(1)
        if not png.is_file():
            return "none"  # marker-icon.png: hotspot maps draw no default markers
        return "url(data:image/png;base64," + base64.b64encode(png.read_bytes()).decode() + ")"

    # The layer-control icon is the only image a hotspot map needs.
    return re.sub(r"url\(images/([\w\-]+\.png)\)", data_uri, css)


def inline_html(packages: list[str]) -> str:
    """``<style>``/``<script>`` blocks for Leaflet and the given plugins.

    Parameters
    ----------
    packages : list of str
        Plugin packages the page uses (keys of :data:`PACKAGES`, e.g.
        ``"leaflet.markercluster"``); Leaflet itself is always included.

    Returns
    -------
    str
        HTML to put in the page's ``<head>``.

    Raises
    ------
    FetchError
        The assets are not cached and cannot be downloaded.
    """
    ensure_assets()
    css = [_leaflet_css()]
    js = [_read("leaflet", "leaflet.js")]
    if "leaflet.markercluster" in packages:
        css += [_read("leaflet.markercluster", "MarkerCluster.css"), _read("leaflet.markercluster", "MarkerCluster.Default.css")]
        js.append(_read("leaflet.markercluster", "leaflet.markercluster.js"))
    if "leaflet.heat" in packages:
        js.append(_read("leaflet.heat", "leaflet-heat.js"))
    # "</script" inside inlined code would end the element early.
    js = [s.replace("</script", "<\\/script") for s in js]
    return "".join(f"<style>{c}</style>\n" for c in css) + "".join(f"<script>{s}</script>\n" for s in js)


_EXTERNAL = re.compile(
    r"<script[^>]*\bsrc=\"(https?:)?//[^\"]+\"[^>]*>\s*</script>\s*|<link[^>]*\bhref=\"(https?:)?//[^\"]+\"[^>]*/?>\s*",
    re.I,
)


def self_contained(html: str) -> str:
    """Replace every CDN ``<script>``/``<link>`` of a folium page by inlined
    copies of just the assets the page uses.

    Parameters
    ----------
    html : str
        A rendered page (e.g. folium's ``Map.get_root().render()``).

    Returns
    -------
    str
        The page with no external script or stylesheet.
    """
    stripped = _EXTERNAL.sub("", html)
    needed = [pkg for marker, pkg in PLUGIN_MARKERS.items() if marker in stripped]
    head = inline_html(needed)
    return stripped.replace("<head>", "<head>\n" + head, 1) if "<head>" in stripped else head + stripped
