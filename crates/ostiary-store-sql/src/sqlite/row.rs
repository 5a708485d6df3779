//! Reading SQLite rows through the shared decoders of [`crate::decode`].
//!
//! The decoders ask for columns by name. `rusqlite` finds a name by scanning every column, asking
//! SQLite for each name, which costs more than the value itself on wide rows (a token joined with its
//! family has 18 columns). [`SqliteRow`] compares against the statement's column names read once
//! (see [`super::sql`]), and starts each search just after the column found last: the decoders read
//! columns in (nearly) the order the statements select them, so most lookups compare one name.

use std::cell::Cell;

use ostiary_store::{Digest, StoreError, StoreResult};
use rusqlite::types::ValueRef;
use uuid::Uuid;

use crate::decode::{Cols, parse_uuid};

/// One row of a result, with typed access by column name (see the module docs).
pub(crate) struct SqliteRow<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    /// The names of the statement's result columns, in order.
    columns: &'r [Box<str>],
    /// Where the next name lookup starts.
    next: Cell<usize>,
}

impl<'r, 's> SqliteRow<'r, 's> {
    /// `columns` are the names of `row`'s columns, in order.
    pub(crate) fn new(row: &'r rusqlite::Row<'s>, columns: &'r [Box<str>]) -> Self {
        Self {
            row,
            columns,
            next: Cell::new(0),
        }
    }

    /// The value of column `col`, or `Corrupt(col)` when the statement has no such column.
    fn value(&self, col: &'static str) -> StoreResult<ValueRef<'r>> {
        let count = self.columns.len();
        let start = self.next.get();
        for offset in 0..count {
            let index = (start + offset) % count;
            if self.columns.get(index).is_some_and(|name| **name == *col) {
                self.next.set(index + 1);
                return self
                    .row
                    .get_ref(index)
                    .map_err(|_| StoreError::Corrupt(col));
            }
        }
        Err(StoreError::Corrupt(col))
    }

    fn text_ref(&self, col: &'static str) -> StoreResult<Option<&'r str>> {
        match self.value(col)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| StoreError::Corrupt(col)),
            _ => Err(StoreError::Corrupt(col)),
        }
    }

    fn blob_ref(&self, col: &'static str) -> StoreResult<Option<&'r [u8]>> {
        match self.value(col)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) => Ok(Some(bytes)),
            _ => Err(StoreError::Corrupt(col)),
        }
    }

    /// The UTF-8 text of a NOT NULL column, borrowed from the row.
    pub(crate) fn str(&self, col: &'static str) -> StoreResult<&'r str> {
        self.text_ref(col)?.ok_or(StoreError::Corrupt(col))
    }
}

impl Cols for SqliteRow<'_, '_> {
    fn parse<T>(&self, col: &'static str, parse: impl FnOnce(&str) -> Option<T>) -> StoreResult<T> {
        parse(self.str(col)?).ok_or(StoreError::Corrupt(col))
    }

    fn i64(&self, col: &'static str) -> StoreResult<i64> {
        self.opt_i64(col)?.ok_or(StoreError::Corrupt(col))
    }

    fn opt_i64(&self, col: &'static str) -> StoreResult<Option<i64>> {
        match self.value(col)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(value) => Ok(Some(value)),
            _ => Err(StoreError::Corrupt(col)),
        }
    }

    fn flag(&self, col: &'static str) -> StoreResult<bool> {
        Ok(self.i64(col)? != 0)
    }

    fn text(&self, col: &'static str) -> StoreResult<String> {
        self.str(col).map(str::to_owned)
    }

    fn opt_text(&self, col: &'static str) -> StoreResult<Option<String>> {
        Ok(self.text_ref(col)?.map(str::to_owned))
    }

    fn opt_blob(&self, col: &'static str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.blob_ref(col)?.map(<[u8]>::to_vec))
    }

    fn digest(&self, col: &'static str) -> StoreResult<Digest> {
        self.opt_digest(col)?.ok_or(StoreError::Corrupt(col))
    }

    fn opt_digest(&self, col: &'static str) -> StoreResult<Option<Digest>> {
        self.blob_ref(col)?
            .map(|bytes| Digest::from_slice(bytes).ok_or(StoreError::Corrupt(col)))
            .transpose()
    }

    fn uuid(&self, col: &'static str) -> StoreResult<Uuid> {
        self.opt_uuid(col)?.ok_or(StoreError::Corrupt(col))
    }

    fn opt_uuid(&self, col: &'static str) -> StoreResult<Option<Uuid>> {
        self.text_ref(col)?
            .map(|text| parse_uuid(text, col))
            .transpose()
    }
}
