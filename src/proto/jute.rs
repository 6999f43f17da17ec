//! Jute, ZooKeeper's binary serialisation: big-endian ints and longs, one-byte bools, and
//! length-prefixed buffers, strings and vectors where a length of -1 means null.
//!
//! The reader works on untrusted bytes, so every read checks what is left before touching it,
//! and a length is checked against the bytes remaining before anything is allocated: a hostile
//! length field costs an error, never memory or a panic.

use std::fmt;

/// Why bytes could not be decoded. Offsets count from the start of the decoded slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside a fixed-size field.
    Truncated {
        needed: usize,
        offset: usize,
        available: usize,
    },
    /// A buffer, string or vector length below -1 (the only negative length jute allows).
    NegativeLength { length: i32, offset: usize },
    /// A length field claims more bytes than the input still holds.
    LengthExceedsRemaining {
        length: usize,
        offset: usize,
        remaining: usize,
    },
    /// A ustring whose bytes are not UTF-8.
    InvalidUtf8 { offset: usize },
    /// A multi (or multiRead) operation of a type that cannot appear inside one.
    InvalidMultiOpType(i32),
    /// A multi response result of a type that no server sends.
    InvalidMultiResultType(i32),
    /// A record was complete but bytes were left over after it.
    TrailingBytes { count: usize, offset: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated {
                needed,
                offset,
                available,
            } => write!(
                f,
                "truncated: needed {needed} bytes at offset {offset}, only {available} left"
            ),
            DecodeError::NegativeLength { length, offset } => {
                write!(f, "negative length {length} at offset {offset}")
            }
            DecodeError::LengthExceedsRemaining {
                length,
                offset,
                remaining,
            } => write!(
                f,
                "length {length} at offset {offset} exceeds the {remaining} bytes remaining"
            ),
            DecodeError::InvalidUtf8 { offset } => {
                write!(f, "string at offset {offset} is not valid UTF-8")
            }
            DecodeError::InvalidMultiOpType(op_type) => {
                write!(
                    f,
                    "operation type {op_type} cannot appear in a multi request"
                )
            }
            DecodeError::InvalidMultiResultType(result_type) => {
                write!(
                    f,
                    "result type {result_type} cannot appear in a multi response"
                )
            }
            DecodeError::TrailingBytes { count, offset } => {
                write!(f, "{count} unexpected trailing bytes at offset {offset}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Something with a jute encoding.
pub trait Record: Sized {
    fn encode(&self, writer: &mut JuteWriter);
    fn decode(reader: &mut JuteReader<'_>) -> Result<Self, DecodeError>;

    /// The record's encoding on its own.
    fn to_bytes(&self) -> Vec<u8> {
        let mut writer = JuteWriter::new();
        self.encode(&mut writer);
        writer.into_bytes()
    }

    /// Decodes a record that must fill `bytes` exactly.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = JuteReader::new(bytes);
        let record = Self::decode(&mut reader)?;
        reader.expect_end()?;
        Ok(record)
    }
}

/// Reads jute values from a byte slice, front to back.
#[derive(Clone, Debug)]
pub struct JuteReader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> JuteReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        JuteReader { bytes, offset: 0 }
    }

    /// How far into the input the reader is.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.offset)
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.offset..).unwrap_or(&[])
    }

    /// Fails with `TrailingBytes` unless everything has been read.
    pub fn expect_end(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes {
                count,
                offset: self.offset,
            }),
        }
    }

    /// Consumes the next `count` bytes.
    fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
        let truncated = DecodeError::Truncated {
            needed: count,
            offset: self.offset,
            available: self.remaining(),
        };
        let end = self.offset.checked_add(count).ok_or(truncated.clone())?;
        let taken = self.bytes.get(self.offset..end).ok_or(truncated)?;
        self.offset = end;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    pub fn read_int(&mut self) -> Result<i32, DecodeError> {
        self.take_array().map(i32::from_be_bytes)
    }

    pub fn read_long(&mut self) -> Result<i64, DecodeError> {
        self.take_array().map(i64::from_be_bytes)
    }

    /// Any non-zero byte is true, as Java's `DataInput.readBoolean` has it.
    pub fn read_bool(&mut self) -> Result<bool, DecodeError> {
        self.take_array::<1>().map(|[byte]| byte != 0)
    }

    /// Reads a length prefix: `None` for -1 (null), an error for other negative values or a
    /// length that `min_item_size`-byte items could not fill from the bytes remaining.
    fn read_length(&mut self, min_item_size: usize) -> Result<Option<usize>, DecodeError> {
        let offset = self.offset;
        let length = self.read_int()?;
        if length == -1 {
            return Ok(None);
        }
        let length =
            usize::try_from(length).map_err(|_| DecodeError::NegativeLength { length, offset })?;
        let remaining = self.remaining();
        if length.saturating_mul(min_item_size) > remaining {
            return Err(DecodeError::LengthExceedsRemaining {
                length,
                offset,
                remaining,
            });
        }
        Ok(Some(length))
    }

    /// A buffer, `None` when the wire says null (-1).
    pub fn read_buffer(&mut self) -> Result<Option<Vec<u8>>, DecodeError> {
        match self.read_length(1)? {
            None => Ok(None),
            Some(length) => self.take(length).map(|bytes| Some(bytes.to_vec())),
        }
    }

    /// A buffer whose null is read as empty, for fields where the two mean the same.
    pub fn read_buffer_or_empty(&mut self) -> Result<Vec<u8>, DecodeError> {
        self.read_buffer().map(Option::unwrap_or_default)
    }

    /// A UTF-8 string, `None` when the wire says null (-1).
    pub fn read_ustring(&mut self) -> Result<Option<String>, DecodeError> {
        let Some(length) = self.read_length(1)? else {
            return Ok(None);
        };
        let offset = self.offset;
        let bytes = self.take(length)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(Some(text.to_owned())),
            Err(_) => Err(DecodeError::InvalidUtf8 { offset }),
        }
    }

    /// A string whose null is read as empty: paths, schemes and names, where ZooKeeper rejects
    /// null and empty alike.
    pub fn read_string(&mut self) -> Result<String, DecodeError> {
        self.read_ustring().map(Option::unwrap_or_default)
    }

    /// A vector, `None` when the wire says null (-1). Every item takes at least one byte, so
    /// the count is checked against the bytes remaining before any allocation.
    pub fn read_vector<T>(
        &mut self,
        mut read_item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<Vec<T>>, DecodeError> {
        let Some(count) = self.read_length(1)? else {
            return Ok(None);
        };
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            items.push(read_item(self)?);
        }
        Ok(Some(items))
    }

    /// A vector whose null is read as empty.
    pub fn read_vector_or_empty<T>(
        &mut self,
        read_item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        self.read_vector(read_item).map(Option::unwrap_or_default)
    }

    pub fn read_record<R: Record>(&mut self) -> Result<R, DecodeError> {
        R::decode(self)
    }
}

/// Appends jute values to a byte vector.
#[derive(Clone, Debug, Default)]
pub struct JuteWriter {
    bytes: Vec<u8>,
}

impl JuteWriter {
    pub fn new() -> Self {
        JuteWriter::default()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        JuteWriter {
            bytes: Vec::with_capacity(capacity),
        }
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn write_int(&mut self, value: i32) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub fn write_long(&mut self, value: i64) {
        self.bytes.extend_from_slice(&value.to_be_bytes());
    }

    pub fn write_bool(&mut self, value: bool) {
        self.bytes.push(u8::from(value));
    }

    /// A length prefix. Nothing that fits in a frame comes near 2 GiB; a longer length is
    /// written as `i32::MAX`, which every reader rejects, rather than wrapping to a wrong one.
    fn write_length(&mut self, length: usize) {
        self.write_int(i32::try_from(length).unwrap_or(i32::MAX));
    }

    pub fn write_buffer(&mut self, bytes: &[u8]) {
        self.write_length(bytes.len());
        self.bytes.extend_from_slice(bytes);
    }

    /// A buffer that may be null (written as length -1).
    pub fn write_optional_buffer(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            Some(bytes) => self.write_buffer(bytes),
            None => self.write_int(-1),
        }
    }

    pub fn write_ustring(&mut self, text: &str) {
        self.write_buffer(text.as_bytes());
    }

    /// A string that may be null (written as length -1).
    pub fn write_optional_ustring(&mut self, text: Option<&str>) {
        self.write_optional_buffer(text.map(str::as_bytes));
    }

    pub fn write_vector<T>(&mut self, items: &[T], mut write_item: impl FnMut(&mut Self, &T)) {
        self.write_length(items.len());
        for item in items {
            write_item(self, item);
        }
    }

    pub fn write_string_vector(&mut self, items: &[String]) {
        self.write_vector(items, |writer, item| writer.write_ustring(item));
    }

    /// Bytes that are already encoded, such as an opaque body passed through.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }

    pub fn write_record<R: Record>(&mut self, record: &R) {
        record.encode(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ints_and_longs_are_big_endian() {
        let mut writer = JuteWriter::new();
        writer.write_int(0x0102_0304);
        writer.write_long(-2);
        writer.write_bool(true);
        writer.write_bool(false);
        assert_eq!(
            writer.as_bytes(),
            [1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 1, 0]
        );
        let bytes = writer.into_bytes();
        let mut reader = JuteReader::new(&bytes);
        assert_eq!(reader.read_int(), Ok(0x0102_0304));
        assert_eq!(reader.read_long(), Ok(-2));
        assert_eq!(reader.read_bool(), Ok(true));
        assert_eq!(reader.read_bool(), Ok(false));
        assert!(reader.is_empty());
    }

    #[test]
    fn null_buffer_is_minus_one_and_empty_buffer_is_zero() {
        let mut writer = JuteWriter::new();
        writer.write_optional_buffer(None);
        writer.write_optional_buffer(Some(b""));
        writer.write_buffer(b"hi");
        let bytes = writer.into_bytes();
        assert_eq!(
            bytes,
            [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']
        );
        let mut reader = JuteReader::new(&bytes);
        assert_eq!(reader.read_buffer(), Ok(None));
        assert_eq!(reader.read_buffer(), Ok(Some(Vec::new())));
        assert_eq!(reader.read_buffer(), Ok(Some(b"hi".to_vec())));
    }

    #[test]
    fn null_string_and_vector_read_as_none() {
        let minus_one = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        let mut reader = JuteReader::new(&minus_one);
        assert_eq!(reader.read_ustring(), Ok(None));
        assert_eq!(reader.read_vector(JuteReader::read_int), Ok(None));
        let mut reader = JuteReader::new(&minus_one);
        assert_eq!(reader.read_string(), Ok(String::new()));
        assert_eq!(
            reader.read_vector_or_empty(JuteReader::read_int),
            Ok(vec![])
        );
    }

    #[test]
    fn truncated_int_reports_what_was_needed_where() {
        let mut reader = JuteReader::new(&[0, 0, 0, 1, 9, 9]);
        assert_eq!(reader.read_int(), Ok(1));
        let error = reader.read_int().unwrap_err();
        assert_eq!(
            error,
            DecodeError::Truncated {
                needed: 4,
                offset: 4,
                available: 2
            }
        );
        assert_eq!(
            error.to_string(),
            "truncated: needed 4 bytes at offset 4, only 2 left"
        );
    }

    #[test]
    fn lengths_below_minus_one_are_rejected() {
        let bytes = (-2i32).to_be_bytes();
        assert_eq!(
            JuteReader::new(&bytes).read_buffer(),
            Err(DecodeError::NegativeLength {
                length: -2,
                offset: 0
            })
        );
        assert_eq!(
            JuteReader::new(&bytes).read_vector(JuteReader::read_int),
            Err(DecodeError::NegativeLength {
                length: -2,
                offset: 0
            })
        );
    }

    #[test]
    fn huge_lengths_fail_before_allocating() {
        let mut bytes = i32::MAX.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"abc");
        let expected = DecodeError::LengthExceedsRemaining {
            length: i32::MAX as usize,
            offset: 0,
            remaining: 3,
        };
        assert_eq!(JuteReader::new(&bytes).read_buffer(), Err(expected.clone()));
        assert_eq!(
            JuteReader::new(&bytes).read_ustring(),
            Err(expected.clone())
        );
        assert_eq!(
            JuteReader::new(&bytes).read_vector(JuteReader::read_bool),
            Err(expected)
        );
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_lossy_string() {
        let bytes = [0, 0, 0, 2, 0xc3, 0x28];
        assert_eq!(
            JuteReader::new(&bytes).read_ustring(),
            Err(DecodeError::InvalidUtf8 { offset: 4 })
        );
    }

    #[test]
    fn nonzero_bool_byte_reads_as_true() {
        assert_eq!(JuteReader::new(&[7]).read_bool(), Ok(true));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn values_round_trip(
            int in any::<i32>(),
            long in any::<i64>(),
            flag in any::<bool>(),
            buffer in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            text in proptest::option::of(".{0,12}"),
            numbers in proptest::option::of(proptest::collection::vec(any::<i64>(), 0..8)),
        ) {
            let mut writer = JuteWriter::new();
            writer.write_int(int);
            writer.write_long(long);
            writer.write_bool(flag);
            writer.write_optional_buffer(buffer.as_deref());
            writer.write_optional_ustring(text.as_deref());
            match &numbers {
                Some(numbers) => writer.write_vector(numbers, |w, n| w.write_long(*n)),
                None => writer.write_int(-1),
            }
            let bytes = writer.into_bytes();
            let mut reader = JuteReader::new(&bytes);
            prop_assert_eq!(reader.read_int()?, int);
            prop_assert_eq!(reader.read_long()?, long);
            prop_assert_eq!(reader.read_bool()?, flag);
            prop_assert_eq!(reader.read_buffer()?, buffer);
            prop_assert_eq!(reader.read_ustring()?, text);
            prop_assert_eq!(reader.read_vector(JuteReader::read_long)?, numbers);
            prop_assert!(reader.expect_end().is_ok());
        }

        #[test]
        fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut reader = JuteReader::new(&bytes);
            let _ = reader.read_vector(|r| r.read_ustring());
            let _ = reader.read_buffer();
            let _ = reader.read_long();
            prop_assert!(reader.offset() <= bytes.len());
        }
    }
}
