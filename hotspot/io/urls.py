"""Recognising sources: PostgreSQL URLs, engines and read-only connections.

:func:`parse_pg_url` splits ``postgresql://USER@HOST:PORT/DB?table=NAME`` (or
``?sql=SELECT ...``) and keeps the password out of every message;
:func:`read_only` runs each read in a ``READ ONLY`` transaction and
:func:`one_statement` refuses stacked ``?sql=`` statements before anything runs.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from .._errors import StoreError

if TYPE_CHECKING:
    import sqlalchemy


PG_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def _fix_url(text: str) -> str:
    """``Path("postgresql://u@h/db")`` collapses ``//`` to ``/``; put it back so
    URLs passed through ``pathlib`` (the CLI's input arguments) still work."""
    m = re.match(r"^(postgres(?:ql)?(?:\+psycopg)?):/+(.*)$", text, flags=re.S)
    return f"{m.group(1)}://{m.group(2)}" if m else text


def is_pg_url(src: object) -> bool:
    """True for a ``postgresql://`` URL (also after ``pathlib`` mangling).

    Parameters
    ----------
    src : object
        An input as the user gave it (str, Path, DataFrame, ...).

    Returns
    -------
    bool
        Whether ``src`` is a str or Path naming a PostgreSQL URL.
    """
    return isinstance(src, (str, Path)) and _fix_url(str(src)).startswith(PG_SCHEMES)


@dataclass(frozen=True)
class PgTarget:
    """A parsed ``postgresql://`` URL: the SQLAlchemy URL and the table or query."""

    url: str = field(repr=False)  # SQLAlchemy URL (postgresql+psycopg://...), without table/sql; holds the password
    table: str | None
    schema: str | None
    sql: str | None
    shown: str        # the URL for messages, password removed
    secret: str | None = field(default=None, repr=False)  # the password, to scrub from driver messages

    @property
    def qualified(self) -> str:
        """``schema.table`` (or ``table``) as written in messages."""
        return f"{self.schema}.{self.table}" if self.schema else str(self.table)

    def scrub(self, text: str) -> str:
        """``text`` (a driver's message) with the password, if it appears, replaced by ``***``.

        Parameters
        ----------
        text : str
            Any message.

        Returns
        -------
        str
            The message, safe to print or store.
        """
        return text.replace(self.secret, "***") if self.secret else text


def _split_netloc(netloc: str) -> tuple[str | None, str | None, str]:
    """(user, password, host[:port]) of a URL's netloc. The host follows the
    *last* ``@``, so a password holding a raw ``@`` stays whole (and secret)."""
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return None, None, netloc
    user, colon, password = userinfo.partition(":")
    return unquote(user) or None, (unquote(password) if colon else None), hostport


def parse_pg_url(url: str | Path, *, need: str = "either") -> PgTarget:
    """Split ``postgresql://USER[:PW]@HOST:PORT/DB?table=[SCHEMA.]NAME`` (or
    ``?sql=SELECT ...``); other query parameters go to the driver. The
    password (in the URL, also with a raw ``@`` in it, or as ``?password=``)
    goes to the driver only: never into :attr:`PgTarget.shown`.

    Parameters
    ----------
    url : str or Path
        The URL (``//`` collapsed by ``pathlib`` is repaired).
    need : {"either", "table", "none"}
        What the URL must name: a table or a query (``"either"``), a table
        (outputs), or nothing (any other value).

    Returns
    -------
    PgTarget
        The SQLAlchemy URL (psycopg 3 driver), table, schema, query and the
        URL for messages (password removed).

    Raises
    ------
    StoreError
        Not a ``postgresql://`` URL, no table/sql given, or both, or a
        malformed host/port.
    """
    import sqlalchemy as sa

    text = _fix_url(str(url))
    if not is_pg_url(text):  # a file path would be shown as "postgresql:/path" and told to name a table
        raise StoreError(f"{url}: not a postgresql:// URL; give postgresql://USER@HOST:PORT/DB?table=NAME")
    parts = urlsplit(text)
    query = parse_qsl(parts.query, keep_blank_values=True)
    table = next((v for k, v in query if k == "table"), None)
    sql = next((v for k, v in query if k == "sql"), None)
    user, password, hostport = _split_netloc(parts.netloc)
    password = next((v for k, v in query if k == "password"), password)
    rest = [(k, v) for k, v in query if k not in ("table", "sql", "password")]
    shown_netloc = (quote(user, safe="") + (":***" if password is not None else "") + "@" if user else
                    (":***@" if password is not None else "")) + hostport
    shown_query = parts.query if all(k != "password" for k, _ in query) else \
        urlencode([(k, v) for k, v in query if k != "password"])
    shown = urlunsplit(("postgresql", shown_netloc, parts.path, shown_query, ""))
    if need in ("table", "either") and table is None and (need == "table" or sql is None):
        raise StoreError(f"{shown}: name the table with ?table=NAME" + ("" if need == "table" else " (or give ?sql=SELECT ...)"))
    if table and sql:
        raise StoreError(f"{shown}: give ?table= or ?sql=, not both")
    schema = None
    if table and "." in table:
        schema, table = table.split(".", 1)
    try:
        hp = urlsplit("//" + hostport)
        driver_query: dict[str, list[str]] = {}
        for k, v in rest:
            driver_query.setdefault(k, []).append(v)
        sa_url = sa.engine.URL.create("postgresql+psycopg", username=user, password=password, host=hp.hostname,
                                      port=hp.port, database=unquote(parts.path.lstrip("/")) or None,
                                      query={k: v[0] if len(v) == 1 else v for k, v in driver_query.items()})
    except ValueError as exc:
        raise StoreError(f"{shown}: not a valid PostgreSQL URL ({exc})") from None
    return PgTarget(url=sa_url.render_as_string(hide_password=False), table=table, schema=schema,
                    sql=unquote(sql) if sql else None, shown=shown, secret=password or None)


def _first_line(t: PgTarget, exc: BaseException) -> str:
    """The first line of a driver error, password scrubbed (for one-line errors)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return t.scrub(text.splitlines()[0] if text else type(exc).__name__)


_ENGINES: dict[str, sqlalchemy.Engine] = {}


def engine(target: PgTarget) -> sqlalchemy.Engine:
    """A cached SQLAlchemy engine; a server that cannot be reached raises
    :class:`StoreError` in one line naming the URL.

    Parameters
    ----------
    target : PgTarget
        A parsed URL (:func:`parse_pg_url`).

    Returns
    -------
    sqlalchemy.Engine
        One engine per database URL, connected once when made.

    Raises
    ------
    StoreError
        The server cannot be reached or refuses the login.
    """
    import sqlalchemy as sa

    eng = _ENGINES.get(target.url)
    if eng is None:
        eng = sa.create_engine(target.url, pool_pre_ping=True)
        try:
            with eng.connect():
                pass
        except Exception as exc:  # noqa: BLE001 - any driver failure is the user's connection setting
            raise StoreError(f"{target.shown}: cannot connect to PostgreSQL: {_first_line(target, exc)}") from None
        _ENGINES[target.url] = eng
    return eng


@contextmanager
def read_only(t: PgTarget) -> Iterator[sqlalchemy.Connection]:
    """A connection whose transaction is ``READ ONLY`` (rolled back at the
    end): every read of a table or ``?sql=`` query runs in one, so a query
    cannot change the database whatever it says.

    Parameters
    ----------
    t : PgTarget
        A parsed URL (:func:`parse_pg_url`).

    Yields
    ------
    sqlalchemy.Connection
        The connection, its transaction begun read-only.
    """
    import sqlalchemy as sa

    with engine(t).connect() as conn:
        conn.execute(sa.text("SET TRANSACTION READ ONLY"))
        yield conn


#: Lexical pieces of SQL that may hold a ``;`` without ending a statement:
#: quoted strings (also E'' with backslash escapes), quoted identifiers,
#: dollar-quoted bodies and comments. Anything else is one character.
_SQL_TOKEN = re.compile(r"""(?<!\w)[eE]'(?:\\.|[^'\\]|'')*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|(\$[A-Za-z_0-9]*\$)[\s\S]*?\1"""
                        r"|--[^\n]*|/\*[\s\S]*?\*/|[\s\S]", re.S)


def one_statement(sql: str, shown: str = "?sql=") -> str:
    """``sql`` when it is exactly one statement (a trailing ``;`` dropped),
    else :class:`StoreError`: stacked statements (``SELECT 1; DROP TABLE x``)
    are refused before anything runs.

    Parameters
    ----------
    sql : str
        The ``?sql=`` query.
    shown : str
        The source for the message (URL without password).

    Returns
    -------
    str
        The statement without a trailing semicolon.

    Raises
    ------
    StoreError
        More than one statement, or none.
    """
    tokens = [m.group(0) for m in _SQL_TOKEN.finditer(sql)]
    meaningful = [i for i, tok in enumerate(tokens) if not (tok.isspace() or tok.startswith(("--", "/*")))]
    ends = [i for i in meaningful if tokens[i] == ";"]
    if ends and meaningful[-1] != ends[0]:  # something after the first ';'
        raise StoreError(f"{shown}: ?sql= must be one SELECT statement; it holds several (';' at character "
                         f"{sum(len(tok) for tok in tokens[:ends[0]]) + 1})")
    if not meaningful or meaningful[0] == (ends[0] if ends else -1):
        raise StoreError(f"{shown}: ?sql= is empty; give one SELECT statement")
    return "".join(tokens[:ends[0]]) if ends else sql


def query_from(t: PgTarget) -> str:
    """The FROM item of a ``?sql=`` source: its one statement as a subquery
    (on lines of its own, so a trailing ``--`` comment cannot swallow the
    closing parenthesis).

    Parameters
    ----------
    t : PgTarget
        A parsed URL with ``sql``.

    Returns
    -------
    str
        The statement in parentheses, aliased ``q``.
    """
    return f"(\n{one_statement(str(t.sql), t.shown)}\n) AS q"


def _q(name: object) -> str:
    """A quoted SQL identifier (of a name, or a column label as ``str`` shows it)."""
    return '"' + str(name).replace('"', '""') + '"'


def _table_sql(t: PgTarget) -> str:
    return (_q(t.schema) + "." if t.schema else "") + _q(t.table)
