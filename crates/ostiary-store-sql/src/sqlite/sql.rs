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
//!
//! What binding and decoding need to know about a statement — which argument each parameter takes,
//! and the names of its result columns — is read from SQLite once per statement text and thread
//! ([`Shape`]), not on every execution: asking SQLite for a name costs a call, a C-string length
//! and a UTF-8 check, once per parameter and once per column read, which was 6–8 % of the server's
//! CPU under introspection (the client's row alone has ~25 columns).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

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

/// What binding and decoding need to know about one statement, read from SQLite once.
struct Shape {
    /// For each parameter (SQLite's index − 1), the position in `params` of the argument it takes:
    /// `$N` takes the `N`th. `None` for a parameter not of that form (`?`, `:name`).
    arguments: Box<[Option<usize>]>,
    /// The names of the result columns, in order.
    columns: Box<[Box<str>]>,
}

impl Shape {
    fn read(statement: &Statement<'_>) -> Self {
        let arguments = (1..=statement.parameter_count())
            .map(|index| {
                statement
                    .parameter_name(index)
                    .and_then(|name| name.strip_prefix('$'))
                    .and_then(|number| number.parse::<usize>().ok())
                    .and_then(|number| number.checked_sub(1))
            })
            .collect();
        let columns = (0..statement.column_count())
            .map(|index| statement.column_name(index).unwrap_or_default().into())
            .collect();
        Self { arguments, columns }
    }

    /// Whether this shape can be the one of `statement`. The same text always prepares to the same
    /// shape: parameter names come from the text, and so do the column names, since no statement of
    /// the store selects `*`. The counts are a cheap guard all the same.
    fn fits(&self, statement: &Statement<'_>) -> bool {
        self.arguments.len() == statement.parameter_count()
            && self.columns.len() == statement.column_count()
    }
}

thread_local! {
    /// The shapes of the statements this thread ran, by the address and length of their text (every
    /// statement is a `&'static str`).
    static SHAPES: RefCell<HashMap<(usize, usize), Rc<Shape>>> = RefCell::new(HashMap::new());
}

/// The shape of `statement`, prepared from `sql`: from this thread's cache, or read and cached.
fn shape(sql: &'static str, statement: &Statement<'_>) -> Rc<Shape> {
    let key = (sql.as_ptr() as usize, sql.len());
    SHAPES.with(|shapes| {
        let mut shapes = shapes.borrow_mut();
        match shapes.get(&key) {
            Some(shape) if shape.fits(statement) => Rc::clone(shape),
            _ => {
                let shape = Rc::new(Shape::read(statement));
                shapes.insert(key, Rc::clone(&shape));
                shape
            }
        }
    })
}

/// Binds `params` to the statement's `$N` parameters by number.
fn bind(statement: &mut Statement<'_>, shape: &Shape, params: &Params<'_>) -> rusqlite::Result<()> {
    for (position, argument) in shape.arguments.iter().enumerate() {
        let index = position + 1;
        let value = argument
            .and_then(|argument| params.get(argument))
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
    run: impl FnOnce(&mut Statement<'_>, &Shape) -> StoreResult<T>,
) -> StoreResult<T> {
    let mut statement = conn.prepare_cached(sql).map_err(sqlite_error)?;
    let shape = shape(sql, &statement);
    bind(&mut statement, &shape, params).map_err(sqlite_error)?;
    run(&mut statement, &shape)
}

/// Runs a statement that returns no rows; the number of rows it changed.
pub(super) fn execute(
    conn: &Connection,
    sql: &'static str,
    params: &Params<'_>,
) -> StoreResult<u64> {
    with_statement(conn, sql, params, |statement, _| {
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
    with_statement(conn, sql, params, |statement, shape| {
        let mut rows = statement.raw_query();
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            each(&SqliteRow::new(row, &shape.columns))?;
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
    fn shapes_are_read_once_per_statement_text_and_never_mixed_up() {
        let conn = conn();
        let ab = |sql: &'static str| {
            query_one(&conn, sql, &[&1_i64, &2_i64], |r| {
                Ok((
                    crate::decode::Cols::i64(r, "a")?,
                    crate::decode::Cols::i64(r, "b")?,
                ))
            })
            .unwrap()
        };
        for _ in 0..3 {
            // The same columns in another order, and parameters numbered the other way round.
            assert_eq!(ab("SELECT $1 AS a, $2 AS b"), (1, 2));
            assert_eq!(ab("SELECT $1 AS b, $2 AS a"), (2, 1));
            assert_eq!(ab("SELECT $2 AS b, $1 AS a, 0 AS c"), (1, 2));
        }
        let key = |sql: &'static str| (sql.as_ptr() as usize, sql.len());
        let cached = SHAPES.with(|shapes| shapes.borrow().len());
        assert!(cached >= 3, "each text has its shape cached: {cached}");
        let sql = "SELECT $2 AS b, $1 AS a, 0 AS c";
        let shape = SHAPES.with(|shapes| shapes.borrow().get(&key(sql)).cloned());
        let shape = shape.expect("cached after its first run");
        assert_eq!(&*shape.arguments, [Some(1), Some(0)]);
        let names: Vec<&str> = shape.columns.iter().map(|name| &**name).collect();
        assert_eq!(names, ["b", "a", "c"]);
        // A column the statement does not have is Corrupt, not another column's value.
        let missing = query_one(&conn, "SELECT 1 AS a", &[], |r| {
            crate::decode::Cols::i64(r, "b")
        });
        assert!(
            matches!(missing, Err(StoreError::Corrupt("b"))),
            "{missing:?}"
        );
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
