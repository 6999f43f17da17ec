//! Splitting a command line into words and options the way zkCli does: its argument regex
//! (`ZooKeeperMain.MyCommandOptions.ARGS_PATTERN`) and commons-cli's `DefaultParser`, whose
//! quirks users rely on (`create /a "two words"`, `deleteall /a -b 5`, `create -se /q`,
//! `create -t10 /t`, `set -v -1 /a x`).

/// Splits a line into words. A word is a run of non-blank characters or a `"..."`/`'...'`
/// quoted string (quotes removed); an unterminated quote is an ordinary character, as in
/// zkCli's regex `\s*([^"']\S*|"[^"]*"|'[^']*')\s*`.
pub fn split_words(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut words = Vec::new();
    let mut position = 0;
    while position < chars.len() {
        let blanks_start = position;
        while chars.get(position).is_some_and(|c| is_java_space(*c)) {
            position += 1;
        }
        let Some(&first) = chars.get(position) else {
            break;
        };
        if first == '"' || first == '\'' {
            let closing = (position + 1..chars.len()).find(|&i| chars.get(i) == Some(&first));
            if let Some(closing) = closing {
                words.push(chars[position + 1..closing].iter().collect());
                position = closing + 1;
                continue;
            }
            // The regex backtracks: the last blank before the quote starts a plain word,
            // or, with no blank before it, matching resumes after the quote.
            if position == blanks_start {
                position += 1;
                continue;
            }
            let start = position - 1;
            position = run_end(&chars, position);
            words.push(chars[start..position].iter().collect());
            continue;
        }
        let start = position;
        position = run_end(&chars, position);
        words.push(chars[start..position].iter().collect());
    }
    words
}

fn run_end(chars: &[char], mut position: usize) -> usize {
    while chars.get(position).is_some_and(|c| !is_java_space(*c)) {
        position += 1;
    }
    position
}

/// Java regex `\s`: `[ \t\n\x0B\f\r]`.
fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// A one-letter option a command accepts, and whether it takes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionSpec {
    pub letter: char,
    pub takes_value: bool,
}

pub const fn flag(letter: char) -> OptionSpec {
    OptionSpec {
        letter,
        takes_value: false,
    }
}

pub const fn valued(letter: char) -> OptionSpec {
    OptionSpec {
        letter,
        takes_value: true,
    }
}

/// A command line after option parsing: the plain words (the command's name first) and the
/// options seen, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedWords {
    pub args: Vec<String>,
    options: Vec<(char, Option<String>)>,
}

impl ParsedWords {
    pub fn has(&self, letter: char) -> bool {
        self.options.iter().any(|(seen, _)| *seen == letter)
    }

    /// The first value given for the option, as commons-cli's `getOptionValue`.
    pub fn value(&self, letter: char) -> Option<&str> {
        self.options
            .iter()
            .find(|(seen, _)| *seen == letter)
            .and_then(|(_, value)| value.as_deref())
    }

    pub fn arg(&self, index: usize) -> Option<&str> {
        self.args.get(index).map(String::as_str)
    }
}

/// Parses words as commons-cli's `DefaultParser` does with short options only: options may
/// appear anywhere, `--` ends them, flags combine (`-se`), a value may be attached (`-t10`)
/// or follow (a negative number counts as a value), and an unknown `-x` is an error.
pub fn parse_options(words: &[String], specs: &[OptionSpec]) -> Result<ParsedWords, String> {
    let spec = |letter: char| specs.iter().find(|spec| spec.letter == letter);
    let mut parsed = ParsedWords::default();
    // The option still waiting for its value, as an index into `parsed.options`.
    let mut awaiting: Option<usize> = None;
    let mut only_args = false;
    for word in words {
        if only_args {
            parsed.args.push(word.clone());
            continue;
        }
        if word == "--" {
            only_args = true;
            continue;
        }
        if let Some(index) = awaiting {
            if !is_option(word, specs) || is_negative_number(word) {
                if let Some(entry) = parsed.options.get_mut(index) {
                    entry.1 = Some(word.clone());
                }
                awaiting = None;
                continue;
            }
        }
        if word.starts_with("--") || !word.starts_with('-') || word == "-" {
            if word.starts_with("--") {
                return Err(format!("Unrecognized option: {word}"));
            }
            parsed.args.push(word.clone());
            continue;
        }
        let body = word.get(1..).unwrap_or_default();
        let (name, attached) = match body.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (body, None),
        };
        let mut letters = name.chars();
        let first = letters.next();
        let single = letters.next().is_none();
        if let (Some(letter), Some(value)) = (first.filter(|_| single), attached) {
            // -v=3
            match spec(letter) {
                Some(found) if found.takes_value => {
                    missing_value(&parsed, awaiting)?;
                    parsed.options.push((letter, Some(value.to_string())));
                    awaiting = None;
                    continue;
                }
                _ => return Err(format!("Unrecognized option: {word}")),
            }
        }
        if attached.is_some() {
            return Err(format!("Unrecognized option: {word}"));
        }
        // -s, -se, -t10: letters until one takes a value, which takes the rest.
        for (offset, letter) in body.char_indices() {
            let Some(found) = spec(letter) else {
                return Err(format!("Unrecognized option: {word}"));
            };
            missing_value(&parsed, awaiting)?;
            awaiting = None;
            if found.takes_value {
                let trail = body.get(offset + letter.len_utf8()..).unwrap_or_default();
                if trail.is_empty() {
                    parsed.options.push((letter, None));
                    awaiting = Some(parsed.options.len() - 1);
                } else {
                    parsed.options.push((letter, Some(trail.to_string())));
                }
                break;
            }
            parsed.options.push((letter, None));
        }
    }
    missing_value(&parsed, awaiting)?;
    Ok(parsed)
}

fn missing_value(parsed: &ParsedWords, awaiting: Option<usize>) -> Result<(), String> {
    match awaiting.and_then(|index| parsed.options.get(index)) {
        Some((letter, None)) => Err(format!("Missing argument for option: {letter}")),
        _ => Ok(()),
    }
}

/// commons-cli's `isShortOption`: a dash, then a known letter (alone or leading a group).
fn is_option(word: &str, specs: &[OptionSpec]) -> bool {
    word.len() >= 2
        && word.starts_with('-')
        && word
            .chars()
            .nth(1)
            .is_some_and(|letter| specs.iter().any(|spec| spec.letter == letter))
}

/// A dash, then what Rust's `f64` parser accepts without a sign (checked by hand: the
/// parser's tables would add about 10 KB to the browser's download).
fn is_negative_number(word: &str) -> bool {
    let Some(rest) = word.strip_prefix('-') else {
        return false;
    };
    if ["inf", "infinity", "nan"]
        .iter()
        .any(|special| rest.eq_ignore_ascii_case(special))
    {
        return true;
    }
    let digits = |text: &str| text.bytes().take_while(u8::is_ascii_digit).count();
    let whole = digits(rest);
    let mut at = whole;
    let mut fraction = 0;
    if rest[at..].starts_with('.') {
        fraction = digits(&rest[at + 1..]);
        at += 1 + fraction;
    }
    if whole + fraction == 0 {
        return false;
    }
    if let Some(exponent) = rest[at..].strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        return n > 0 && n == exponent.len();
    }
    at == rest.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_words(line)
    }

    #[test]
    fn quoted_strings_are_one_word_without_their_quotes() {
        assert_eq!(
            words(r#"create /q "hello world" 'a b' x"#),
            ["create", "/q", "hello world", "a b", "x"]
        );
        assert_eq!(words(r#"set /a """#), ["set", "/a", ""]);
        assert_eq!(words("  ls \t /  "), ["ls", "/"]);
    }

    #[test]
    fn unterminated_quotes_follow_the_regex_backtracking() {
        assert_eq!(words(r#"get "abc"#), ["get", r#" "abc"#]);
        assert_eq!(words(r#""abc"#), ["abc"]);
        assert_eq!(words(r#"a"b c""#), [r#"a"b"#, r#"c""#]);
    }

    const CREATE: &[OptionSpec] = &[flag('e'), flag('s'), flag('c'), valued('t')];
    const SET: &[OptionSpec] = &[flag('s'), valued('v')];

    fn parse(line: &str, specs: &[OptionSpec]) -> Result<ParsedWords, String> {
        parse_options(&split_words(line), specs)
    }

    #[test]
    fn options_may_come_anywhere_and_combine() {
        let parsed = parse("create /q -se data", CREATE).unwrap();
        assert_eq!(parsed.args, ["create", "/q", "data"]);
        assert!(parsed.has('s') && parsed.has('e') && !parsed.has('c'));
    }

    #[test]
    fn values_attach_follow_or_use_equals() {
        assert_eq!(
            parse("create -t10 /t", CREATE).unwrap().value('t'),
            Some("10")
        );
        assert_eq!(
            parse("create -t 10 /t", CREATE).unwrap().value('t'),
            Some("10")
        );
        assert_eq!(
            parse("create -t=10 /t", CREATE).unwrap().value('t'),
            Some("10")
        );
        for word in [
            "-1",
            "-0",
            "-1.",
            "-.5",
            "-1.5",
            "-1e5",
            "-1E+5",
            "-2.5e-3",
            "-inf",
            "-Infinity",
            "-NaN",
            "-",
            "--1",
            "-+1",
            "-.",
            "-e5",
            "-1e",
            "-1e+",
            "-1.2.3",
            "-1x",
            "-0x10",
            "-1_000",
            "- 1",
            "-infinit",
            "-1e5.0",
            "-١",
            "1",
            "+1",
            "-.e1",
            "-1.e2",
        ] {
            assert_eq!(
                is_negative_number(word),
                word.starts_with('-') && word.parse::<f64>().is_ok(),
                "{word}"
            );
        }
        let negative = parse("set -v -1 /a x", SET).unwrap();
        assert_eq!(negative.value('v'), Some("-1"));
        assert_eq!(negative.args, ["set", "/a", "x"]);
    }

    #[test]
    fn unknown_options_and_missing_values_are_errors_in_commons_cli_words() {
        assert_eq!(
            parse("ls -x /", &[flag('s')]),
            Err("Unrecognized option: -x".to_string())
        );
        assert_eq!(
            parse("create /neg -1", CREATE),
            Err("Unrecognized option: -1".to_string())
        );
        assert_eq!(
            parse("set -v", SET),
            Err("Missing argument for option: v".to_string())
        );
        assert_eq!(
            parse("set -v -s /a x", SET),
            Err("Missing argument for option: v".to_string())
        );
        assert_eq!(
            parse("ls --all /", &[]),
            Err("Unrecognized option: --all".to_string())
        );
    }

    #[test]
    fn a_double_dash_ends_the_options() {
        let parsed = parse("create -- /a -1", CREATE).unwrap();
        assert_eq!(parsed.args, ["create", "/a", "-1"]);
        assert_eq!(parse("get -", &[]).unwrap().args, ["get", "-"]);
    }
}
