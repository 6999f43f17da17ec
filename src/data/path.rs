//! Znode path rules, exactly as ZooKeeper 3.8 enforces them (`PathUtils.validatePath`).
//!
//! ZooKeeper checks a path as Java sees it: a sequence of UTF-16 code units. The positions it
//! reports ("@3") are UTF-16 indices, and a character outside the Basic Multilingual Plane is
//! rejected because its first surrogate falls in a forbidden range. We reproduce both, so the
//! reason a client reads is the one the real server would give.

use std::fmt;

/// Why a path is not a valid znode path. `Display` gives ZooKeeper's own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathError {
    /// `Path length must be > 0`.
    Empty,
    /// `Path must start with / character`.
    MissingLeadingSlash,
    /// `Path must not end with / character` (only the root may).
    TrailingSlash,
    /// A problem at one position; `index` counts UTF-16 code units, as Java does.
    Invalid {
        path: String,
        index: usize,
        problem: PathProblem,
    },
}

/// The problems ZooKeeper names at a position of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathProblem {
    NullCharacter,
    EmptySegment,
    RelativeSegment,
    InvalidCharacter,
}

impl PathProblem {
    fn text(self) -> &'static str {
        match self {
            PathProblem::NullCharacter => "null character not allowed",
            PathProblem::EmptySegment => "empty node name specified",
            PathProblem::RelativeSegment => "relative paths not allowed",
            PathProblem::InvalidCharacter => "invalid character",
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathError::Empty => f.write_str("Path length must be > 0"),
            PathError::MissingLeadingSlash => f.write_str("Path must start with / character"),
            PathError::TrailingSlash => f.write_str("Path must not end with / character"),
            PathError::Invalid {
                path,
                index,
                problem,
            } => write!(
                f,
                "Invalid path string \"{path}\" caused by {} @{index}",
                problem.text()
            ),
        }
    }
}

/// Code units ZooKeeper refuses anywhere in a path: C0 and C1 controls, DEL, surrogates (so
/// every character beyond U+FFFF), the private use area and U+FFF0..U+FFFF (which includes
/// U+FFFD, what an invalid UTF-8 byte decodes to).
fn forbidden_unit(unit: u16) -> bool {
    (0x0001..=0x001f).contains(&unit)
        || (0x007f..=0x009f).contains(&unit)
        || (0xd800..=0xf8ff).contains(&unit)
        || unit >= 0xfff0
}

/// Validates a znode path as `PathUtils.validatePath(path)` does.
pub fn validate_path(path: &str) -> Result<(), PathError> {
    let units: Vec<u16> = path.encode_utf16().collect();
    if units.is_empty() {
        return Err(PathError::Empty);
    }
    if units[0] != u16::from(b'/') {
        return Err(PathError::MissingLeadingSlash);
    }
    if units.len() == 1 {
        return Ok(());
    }
    if units[units.len() - 1] == u16::from(b'/') {
        return Err(PathError::TrailingSlash);
    }
    let slash = u16::from(b'/');
    let dot = u16::from(b'.');
    let segment_ends_after = |i: usize| i + 1 == units.len() || units[i + 1] == slash;
    let mut last = slash;
    for i in 1..units.len() {
        let unit = units[i];
        let problem = if unit == 0 {
            Some(PathProblem::NullCharacter)
        } else if unit == slash && last == slash {
            Some(PathProblem::EmptySegment)
        } else if unit == dot && last == dot {
            // `..` as a whole segment; `i >= 2` because `last` is the dot at `i - 1`.
            (units[i - 2] == slash && segment_ends_after(i)).then_some(PathProblem::RelativeSegment)
        } else if unit == dot {
            (last == slash && segment_ends_after(i)).then_some(PathProblem::RelativeSegment)
        } else if forbidden_unit(unit) {
            Some(PathProblem::InvalidCharacter)
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(PathError::Invalid {
                path: path.to_string(),
                index: i,
                problem,
            });
        }
        last = unit;
    }
    Ok(())
}

/// Validates the path a client gives for a sequential create, before the server appends the
/// counter: ZooKeeper checks `path + "1"`, so a trailing `/` is allowed (`/queue/` becomes
/// `/queue/0000000007`), and its messages quote the path with that `1` appended.
pub fn validate_sequential_path(path: &str) -> Result<(), PathError> {
    validate_path(&format!("{path}1"))
}

/// `validate_path` or `validate_sequential_path`, as the create mode asks.
pub fn validate(path: &str, sequential: bool) -> Result<(), PathError> {
    if sequential {
        validate_sequential_path(path)
    } else {
        validate_path(path)
    }
}

/// The parent of a valid path: `None` for the root, `/` for a top-level znode.
pub fn parent(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(slash) => Some(&path[..slash]),
        None => None,
    }
}

/// The last segment of a path (the name a parent lists among its children); empty for the root.
pub fn name(path: &str) -> &str {
    match path.rfind('/') {
        Some(slash) => &path[slash + 1..],
        None => path,
    }
}

/// The path of `name` under `parent`.
pub fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(path: &str) -> String {
        match validate_path(path) {
            Ok(()) => "ok".to_string(),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn valid_paths_are_accepted() {
        for path in [
            "/",
            "/a",
            "/a/b",
            "/zookeeper/quota",
            "/a.b",
            "/a-b",
            "/a/...",
            "/a/.b",
            "/a/b.",
            "/a/..b",
            "/caf\u{e9}",
            "/\u{4e2d}\u{6587}",
            "/a b",
            "/\u{a0}",
            "/\u{f900}",
            "/\u{ffef}",
        ] {
            assert_eq!(reason(path), "ok", "{path:?}");
        }
    }

    /// Reasons as ZooKeeper 3.8's PathUtils words them (checked against its source).
    #[test]
    fn invalid_paths_report_zookeepers_reason() {
        let table = [
            ("", "Path length must be > 0"),
            ("a", "Path must start with / character"),
            ("a/b", "Path must start with / character"),
            ("/a/", "Path must not end with / character"),
            ("//", "Path must not end with / character"),
            (
                "//a",
                "Invalid path string \"//a\" caused by empty node name specified @1",
            ),
            (
                "/a//b",
                "Invalid path string \"/a//b\" caused by empty node name specified @3",
            ),
            (
                "/.",
                "Invalid path string \"/.\" caused by relative paths not allowed @1",
            ),
            (
                "/..",
                "Invalid path string \"/..\" caused by relative paths not allowed @2",
            ),
            (
                "/a/./b",
                "Invalid path string \"/a/./b\" caused by relative paths not allowed @3",
            ),
            (
                "/a/../b",
                "Invalid path string \"/a/../b\" caused by relative paths not allowed @4",
            ),
            (
                "/a\u{0}b",
                "Invalid path string \"/a\u{0}b\" caused by null character not allowed @2",
            ),
            (
                "/a\u{1}",
                "Invalid path string \"/a\u{1}\" caused by invalid character @2",
            ),
            (
                "/\u{1f}",
                "Invalid path string \"/\u{1f}\" caused by invalid character @1",
            ),
            (
                "/\u{7f}",
                "Invalid path string \"/\u{7f}\" caused by invalid character @1",
            ),
            (
                "/\u{9f}",
                "Invalid path string \"/\u{9f}\" caused by invalid character @1",
            ),
            (
                "/\u{e000}",
                "Invalid path string \"/\u{e000}\" caused by invalid character @1",
            ),
            (
                "/\u{f8ff}",
                "Invalid path string \"/\u{f8ff}\" caused by invalid character @1",
            ),
            (
                "/\u{fff0}",
                "Invalid path string \"/\u{fff0}\" caused by invalid character @1",
            ),
            (
                "/\u{fffd}",
                "Invalid path string \"/\u{fffd}\" caused by invalid character @1",
            ),
            // A character beyond U+FFFF is two UTF-16 units; Java trips on the first.
            (
                "/ab\u{1f600}",
                "Invalid path string \"/ab\u{1f600}\" caused by invalid character @3",
            ),
            // Positions count UTF-16 units (each é is one), not bytes (each é is two).
            (
                "/\u{e9}\u{e9}//x",
                "Invalid path string \"/\u{e9}\u{e9}//x\" caused by empty node name specified @4",
            ),
        ];
        for (path, expected) in table {
            assert_eq!(reason(path), expected, "{path:?}");
        }
    }

    #[test]
    fn sequential_paths_may_end_with_a_slash_and_quote_the_probe() {
        assert_eq!(validate_sequential_path("/queue/"), Ok(()));
        assert_eq!(validate_sequential_path("/"), Ok(()));
        assert_eq!(validate_sequential_path("/lock-"), Ok(()));
        assert_eq!(
            validate_sequential_path("/a//").map_err(|e| e.to_string()),
            Err("Invalid path string \"/a//1\" caused by empty node name specified @3".to_string())
        );
        assert_eq!(validate("/queue/", false), Err(PathError::TrailingSlash));
    }

    #[test]
    fn parent_and_name_split_at_the_last_slash() {
        assert_eq!(parent("/"), None);
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/a/b-c"), Some("/a"));
        assert_eq!(parent("/a/b/c"), Some("/a/b"));
        assert_eq!(name("/"), "");
        assert_eq!(name("/a"), "a");
        assert_eq!(name("/a/b.c"), "b.c");
        assert_eq!(join("/", "a"), "/a");
        assert_eq!(join("/a", "b"), "/a/b");
    }
}
