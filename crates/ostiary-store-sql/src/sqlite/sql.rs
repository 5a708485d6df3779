//! Running statements on a SQLite connection: binding `$N` parameters, stepping every statement to its
//! end, and mapping errors to [`StoreError`].
//!
//! Every statement is a `&'static str` prepared once per connection and kept in its statement cache
//! (`prepare_cached`). The SQL is shared with PostgreSQL and numbers its parameters `$1`, `$2`, …; SQLite
//! takes `$1` as a parameter *named* `$1` and numbers parameters in order of first appearance, so
//! [`bind`] binds each by the number in its name, not by position.
//!
//! A statement is always stepped until SQLite says it is done, never just reset after its first row:
//! outside a transaction the statement's own commit happens then, and its error (a full disk, an I/O
//! error) must reach the caller rather than be lost in a reset.

use ostiary_store::{StoreError, StoreResult};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Statement, ToSql};
use uuid::Uuid;

use super::row::SqliteRow;
use crate::error::sqlite_error;

/// Parameters of one statement: `$N` takes the `N`th.
pub(super) type Params<'p> = [&'p dyn ToSql];

/// A UUID as the lower-case hyphenated text SQLite stores ids as, without allocating.
#[derive(Clone, Copy)]
pub(super) struct IdText([u8; 36]);

impl ToSql for IdText {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(&self.0)))
    }
}

/// `uuid` as stored in an id column.
pub(super) fn id(uuid: &Uuid) -> IdText {
    let mut text = [0u8; 36];
    uuid.hyphenated().encode_lower(&mut text);
    IdText(text)
}

/// Binds `params` to the statement's `$N` parameters by number.
fn bind(statement: &mut Statement<'_>, params: &Params<'_>) -> rusqlite::Result<()> {
    for index in 1..=statement.parameter_count() {
        let value = statement
            .parameter_name(index)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|number| number.parse::<usize>().ok())
            .and_then(|number| number.checked_sub(1))
            .and_then(|position| params.get(position))
            .ok_or(rusqlite::Error::InvalidParameterCount(index, params.len()))?;
        statement.raw_bind_parameter(index, value)?;
    }
    Ok(())
}

/// Prepares (or takes from the cache) and binds `sql`, then runs `run` on it.
fn with_statement<T>(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
    run: impl FnOnce(&mut Statement<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    let mut statement = conn.prepare_cached(sql).map_err(sqlite_error)?;
    bind(&mut statement, params).map_err(sqlite_error)?;
    run(&mut statement)
}

/// Runs a statement that returns no rows; the number of rows it changed.
pub(super) fn execute(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
) -> StoreResult<u64> {
    with_statement(conn, sql, params, |statement| {
        let changed = statement.raw_execute().map_err(sqlite_error)?;
        Ok(u64::try_from(changed).unwrap_or(u64::MAX))
    })
}

/// Runs a statement and hands each row to `each`, in order.
pub(super) fn for_each(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
    mut each: impl FnMut(&SqliteRow<'_, '_>) -> StoreResult<()>,
) -> StoreResult<()> {
    with_statement(conn, sql, params, |statement| {
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            each(&SqliteRow::new(row))?;
        }
        Ok(())
    })
}

/// Runs a statement and decodes every row.
pub(super) fn query_all<T>(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
    mut decode: impl FnMut(&SqliteRow<'_, '_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    for_each(conn, sql, params, |row| {
        out.push(decode(row)?);
        Ok(())
    })?;
    Ok(out)
}

/// Runs a statement and decodes its first row, if any (the statement still runs to its end).
pub(super) fn query_opt<T>(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
    decode: impl FnOnce(&SqliteRow<'_, '_>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut decode = Some(decode);
    let mut first = None;
    for_each(conn, sql, params, |row| {
        if let Some(decode) = decode.take() {
            first = Some(decode(row)?);
        }
        Ok(())
    })?;
    Ok(first)
}

/// Runs a statement that returns exactly one row and decodes it.
pub(super) fn query_one<T>(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
    decode: impl FnOnce(&SqliteRow<'_, '_>) -> StoreResult<T>,
) -> StoreResult<T> {
    query_opt(conn, sql, params, decode)?
        .ok_or_else(|| StoreError::backend(rusqlite::Error::QueryReturnedNoRows))
}

/// A listing query: `$1` is the `LIMIT`, and `$2`, bound only when present, the key it filters on.
pub(super) fn paged<T>(
    conn: &Connection,
    sql: &'static str,
    limit: usize,
    key: Option<&Uuid>,
    decode: impl FnMut(&SqliteRow<'_, '_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let limit = crate::encode::limit(limit);
    match key.map(id) {
        Some(key) => query_all(conn, sql, &[&limit, &key], decode),
        None => query_all(conn, sql, &[&limit], decode),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        Connection::open_in_memory().unwrap()
    }

    #[test]
    fn parameters_bind_by_their_number_not_their_position() {
        let conn = conn();
        let got = query_one(&conn, "SELECT $2 - $1 AS d", &[&10_i64, &3_i64], |r| {
            crate::decode::Cols::i64(r, "d")
        })
        .unwrap();
        assert_eq!(got, -7);
        let got = query_one(&conn, "SELECT $1 || $1 AS t", &[&"ab"], |r| {
            r.str("t").map(str::to_owned)
        })
        .unwrap();
        assert_eq!(got, "abab");
    }

    #[test]
    fn a_missing_parameter_is_an_error_not_a_panic() {
        let conn = conn();
        let result = query_one(&conn, "SELECT $3 AS x", &[&1_i64], |_| Ok(()));
        assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
        let result = query_one(&conn, "SELECT ?1 AS x", &[&1_i64], |_| Ok(()));
        assert!(matches!(result, Err(StoreError::Backend(_))), "{result:?}");
    }

    #[test]
    fn ids_are_stored_as_hyphenated_lower_case_text() {
        let conn = conn();
        let uuid = Uuid::new_v4();
        let got = query_one(
            &conn,
            "SELECT $1 AS t, typeof($1) AS k",
            &[&id(&uuid)],
            |r| Ok((r.str("t")?.to_owned(), r.str("k")?.to_owned())),
        )
        .unwrap();
        assert_eq!(got, (uuid.hyphenated().to_string(), "text".to_owned()));
    }

    #[test]
    fn every_returned_row_is_read_and_a_missing_one_is_none() {
        let conn = conn();
        conn.execute_batch("CREATE TABLE t (x INTEGER NOT NULL)")
            .unwrap();
        for x in [1_i64, 2, 3] {
            assert_eq!(
                execute(&conn, "INSERT INTO t (x) VALUES ($1)", &[&x]).unwrap(),
                1
            );
        }
        let all = query_all(&conn, "SELECT x FROM t ORDER BY x", &[], |r| {
            crate::decode::Cols::i64(r, "x")
        })
        .unwrap();
        assert_eq!(all, [1, 2, 3]);
        // A RETURNING statement changes every row even though only the first is decoded.
        let first = query_opt(&conn, "UPDATE t SET x = x * 10 RETURNING x", &[], |r| {
            crate::decode::Cols::i64(r, "x")
        })
        .unwrap();
        assert!(first.is_some());
        let sum = query_one(&conn, "SELECT sum(x) AS s FROM t", &[], |r| {
            crate::decode::Cols::i64(r, "s")
        })
        .unwrap();
        assert_eq!(sum, 60);
        let none = query_opt(&conn, "SELECT x FROM t WHERE x = 0", &[], |_| Ok(())).unwrap();
        assert!(none.is_none());
    }
}
