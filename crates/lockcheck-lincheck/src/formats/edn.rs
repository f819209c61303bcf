//! A small EDN reader, enough for Jepsen and Knossos histories: nil,
//! booleans, integers, floats, strings, characters, keywords, symbols,
//! lists, vectors, sets, maps, tagged values (`#jepsen.history.Op{...}`),
//! `#_` discards, `;` comments, and commas as whitespace. Bad input gives a
//! [`FormatError`] with line and column, never a panic.

use super::error::{FormatError, excerpt};

/// An EDN value.
#[derive(Clone, Debug, PartialEq)]
pub enum Edn {
    /// `nil`.
    Nil,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A character (`\a`, `\newline`).
    Char(char),
    /// A keyword, without its colon: `:type` is `Keyword("type")`.
    Keyword(String),
    /// A symbol.
    Symbol(String),
    /// `( ... )`.
    List(Vec<Edn>),
    /// `[ ... ]`.
    Vector(Vec<Edn>),
    /// `#{ ... }`.
    Set(Vec<Edn>),
    /// `{ k v ... }`, in the order written.
    Map(Vec<(Edn, Edn)>),
    /// `#tag value`.
    Tagged(String, Box<Edn>),
}

impl Edn {
    /// The value under keyword `key` of a map (or tagged map).
    pub fn get(&self, key: &str) -> Option<&Edn> {
        match self {
            Edn::Map(kv) => kv
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(s) if s == key))
                .map(|(_, v)| v),
            Edn::Tagged(_, inner) => inner.get(key),
            _ => None,
        }
    }
}

/// A value with the position where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
    /// The value.
    pub value: Edn,
}

const MAX_DEPTH: usize = 200;

struct Reader<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    col: usize,
}

fn is_symbol_char(c: char) -> bool {
    c.is_alphanumeric() || ".*+!-_?$%&=<>/:'#".contains(c)
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn err(&self, expected: &str) -> FormatError {
        let rest = &self.src[self.pos..];
        let rest = rest.lines().next().unwrap_or("");
        FormatError::syntax(self.line, self.col, expected, excerpt(rest))
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                self.bump();
            } else if c == ';' {
                while let Some(c) = self.bump() {
                    if c == '\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    /// Skips whitespace, comments and `#_` discarded forms.
    fn skip_trivia(&mut self, depth: usize) -> Result<(), FormatError> {
        loop {
            self.skip_ws();
            if self.src[self.pos..].starts_with("#_") {
                self.bump();
                self.bump();
                self.read(depth + 1)?;
            } else {
                return Ok(());
            }
        }
    }

    fn token(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !is_symbol_char(c) {
                break;
            }
            self.bump();
        }
        &self.src[start..self.pos]
    }

    fn read(&mut self, depth: usize) -> Result<Located, FormatError> {
        if depth > MAX_DEPTH {
            return Err(self.err("at most 200 levels of nesting"));
        }
        self.skip_trivia(depth)?;
        let (line, column) = (self.line, self.col);
        let c = self.peek().ok_or_else(|| self.err("a value"))?;
        let value = match c {
            '(' | '[' | '{' => {
                self.bump();
                let close = match c {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                };
                let items = self.seq(close, depth)?;
                match c {
                    '(' => Edn::List(items),
                    '[' => Edn::Vector(items),
                    _ => self.pairs(items, line, column)?,
                }
            }
            '"' => Edn::Str(self.string()?),
            '\\' => {
                self.bump();
                let t = self.token();
                let ch = match t {
                    "newline" => '\n',
                    "space" => ' ',
                    "tab" => '\t',
                    "return" => '\r',
                    _ => {
                        let mut cs = t.chars();
                        match (cs.next(), cs.next()) {
                            (Some(ch), None) => ch,
                            (None, _) => self.bump().ok_or_else(|| self.err("a character"))?,
                            _ => {
                                return Err(FormatError::syntax(
                                    line,
                                    column,
                                    "a character",
                                    excerpt(t),
                                ));
                            }
                        }
                    }
                };
                Edn::Char(ch)
            }
            '#' => {
                self.bump();
                match self.peek() {
                    Some('{') => {
                        self.bump();
                        Edn::Set(self.seq('}', depth)?)
                    }
                    _ => {
                        let tag = self.token();
                        if tag.is_empty() {
                            return Err(self.err("a tag, `{` or `_` after `#`"));
                        }
                        let inner = self.read(depth + 1)?;
                        Edn::Tagged(tag.to_string(), Box::new(inner.value))
                    }
                }
            }
            ')' | ']' | '}' => return Err(self.err("a value")),
            _ if is_symbol_char(c) => {
                let t = self.token();
                atom(t).ok_or_else(|| {
                    FormatError::syntax(line, column, "a number, keyword or symbol", excerpt(t))
                })?
            }
            _ => return Err(self.err("a value")),
        };
        Ok(Located {
            line,
            column,
            value,
        })
    }

    fn seq(&mut self, close: char, depth: usize) -> Result<Vec<Edn>, FormatError> {
        let mut items = Vec::new();
        loop {
            self.skip_trivia(depth + 1)?;
            match self.peek() {
                None => return Err(self.err(&format!("`{close}`"))),
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(')' | ']' | '}') => return Err(self.err(&format!("`{close}`"))),
                Some(_) => items.push(self.read(depth + 1)?.value),
            }
        }
    }

    fn pairs(&self, items: Vec<Edn>, line: usize, column: usize) -> Result<Edn, FormatError> {
        if !items.len().is_multiple_of(2) {
            return Err(FormatError::syntax(
                line,
                column,
                "a map with an even number of forms",
                "an odd number",
            ));
        }
        let mut it = items.into_iter();
        let mut kv = Vec::new();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            kv.push((k, v));
        }
        Ok(Edn::Map(kv))
    }

    fn string(&mut self) -> Result<String, FormatError> {
        self.bump();
        let mut s = String::new();
        loop {
            let c = self.bump().ok_or_else(|| self.err("a closing `\"`"))?;
            match c {
                '"' => return Ok(s),
                '\\' => {
                    let e = self.bump().ok_or_else(|| self.err("an escape"))?;
                    s.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        '"' | '\\' | '/' => e,
                        'u' => {
                            let mut code = 0u32;
                            for _ in 0..4 {
                                let d = self
                                    .peek()
                                    .and_then(|c| c.to_digit(16))
                                    .ok_or_else(|| self.err("4 hex digits"))?;
                                self.bump();
                                code = code * 16 + d;
                            }
                            char::from_u32(code).unwrap_or('\u{fffd}')
                        }
                        _ => return Err(self.err("an escape (n t r b f \" \\ u)")),
                    });
                }
                _ => s.push(c),
            }
        }
    }
}

/// A number, keyword, symbol, nil or boolean.
fn atom(t: &str) -> Option<Edn> {
    match t {
        "nil" => return Some(Edn::Nil),
        "true" => return Some(Edn::Bool(true)),
        "false" => return Some(Edn::Bool(false)),
        _ => {}
    }
    if let Some(k) = t.strip_prefix(':') {
        return (!k.is_empty()).then(|| Edn::Keyword(k.to_string()));
    }
    let first = t.chars().next()?;
    let second = t.chars().nth(1);
    let numeric = first.is_ascii_digit()
        || ((first == '-' || first == '+') && second.is_some_and(|c| c.is_ascii_digit()));
    if !numeric {
        return Some(Edn::Symbol(t.to_string()));
    }
    let digits = t.strip_suffix('N').unwrap_or(t);
    if let Ok(i) = digits.parse::<i64>() {
        return Some(Edn::Int(i));
    }
    let f = t.strip_suffix('M').unwrap_or(t);
    f.parse::<f64>().ok().map(Edn::Float)
}

/// Reads every top-level value of `text`.
pub fn read_all(text: &str) -> Result<Vec<Located>, FormatError> {
    let mut r = Reader {
        src: text,
        pos: 0,
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        r.skip_trivia(0)?;
        if r.peek().is_none() {
            return Ok(out);
        }
        out.push(r.read(0)?);
    }
}
