"""Old home of the league page, kept so existing imports keep working: the
page is drawn by :func:`hotspot.render.league.league_html`."""

from __future__ import annotations

from .render.league import RAG_COLOURS, league_html

__all__ = ["RAG_COLOURS", "league_html"]
