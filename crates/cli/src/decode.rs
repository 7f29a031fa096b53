//! Opening the input (a file, or standard input) and reading it as UTF-8
//! whatever the spreadsheet that exported it chose.
//!
//! Spreadsheet programs save "Unicode text" as UTF-16, little-endian with a
//! byte order mark on Windows. Such a file is recognized by its byte order
//! mark, or without one by the NUL byte beside every ASCII character, and
//! decoded to UTF-8 on the fly, so its hashes are those of the text it
//! holds. A UTF-8 byte order mark is left for the CSV reader, which drops
//! it. Text that is not valid in its encoding stops the run rather than
//! being hashed with replacement characters.

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_16BE, UTF_16LE};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

/// Pairs of bytes looked at when there is no byte order mark.
const SNIFF_PAIRS: usize = 32;

/// Decoded bytes held at a time.
const OUT_CAPACITY: usize = 64 * 1024;

/// An opened input.
pub struct Input {
    /// Buffered UTF-8 (or undecoded single-byte) text.
    pub reader: Box<dyn BufRead>,
    /// Size in bytes when it is a file read as it is, for the ETA (the
    /// position in decoded text does not match a UTF-16 file's size).
    pub size: Option<u64>,
    /// The encoding decoded from, when it was not UTF-8.
    pub decoded_from: Option<&'static str>,
}

impl Input {
    /// A line for the operator when the input was decoded.
    pub fn notice(&self) -> Option<String> {
        self.decoded_from.map(|name| {
            format!(
                "the input is {name} text (a spreadsheet's \"Unicode text\" export); it is read as such"
            )
        })
    }
}

/// Opens a file, or standard input for `-` or nothing, decoding UTF-16.
pub fn open_input(path: &Option<PathBuf>) -> anyhow::Result<Input> {
    use anyhow::Context;
    let (reader, size): (Box<dyn BufRead>, Option<u64>) =
        match path.as_ref().filter(|p| p.as_os_str() != "-") {
            Some(path) => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot open the input {}", path.display()))?;
                let size = file.metadata().ok().map(|m| m.len());
                (Box::new(BufReader::with_capacity(256 * 1024, file)), size)
            }
            None => (Box::new(BufReader::new(std::io::stdin())), None),
        };
    let (reader, decoded_from) = decoding(reader).context("cannot read the input")?;
    Ok(Input {
        reader,
        size: size.filter(|_| decoded_from.is_none()),
        decoded_from,
    })
}

/// Wraps `input` in a decoder when its first bytes show UTF-16.
pub fn decoding(
    mut input: Box<dyn BufRead>,
) -> std::io::Result<(Box<dyn BufRead>, Option<&'static str>)> {
    let head = input.fill_buf()?;
    let decoder = match Encoding::for_bom(head) {
        Some((encoding, _)) if encoding == UTF_16LE || encoding == UTF_16BE => {
            encoding.new_decoder_with_bom_removal()
        }
        Some(_) => return Ok((input, None)),
        None => match utf16_without_bom(head) {
            Some(encoding) => encoding.new_decoder_without_bom_handling(),
            None => return Ok((input, None)),
        },
    };
    let name = decoder.encoding().name();
    Ok((Box::new(Utf16Reader::new(input, decoder)), Some(name)))
}

/// UTF-16 without a byte order mark, told by its NUL bytes: the header
/// line is ASCII, so in UTF-16 every other byte of it is zero.
pub fn utf16_without_bom(head: &[u8]) -> Option<&'static Encoding> {
    // The header line only: names in the rows may be in any script.
    let mut pairs: Vec<&[u8]> = Vec::new();
    for pair in head.chunks_exact(2).take(SNIFF_PAIRS) {
        pairs.push(pair);
        if pair.contains(&b'\n') {
            break;
        }
    }
    if pairs.len() < 2 {
        return None;
    }
    let all = |f: fn(&[u8]) -> bool| pairs.iter().all(|p| f(p));
    if all(|p| p[0] != 0 && p[1] == 0) {
        Some(UTF_16LE)
    } else if all(|p| p[0] == 0 && p[1] != 0) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Reads UTF-16 as UTF-8.
struct Utf16Reader<R> {
    inner: R,
    decoder: Decoder,
    out: Vec<u8>,
    start: usize,
    end: usize,
    finished: bool,
}

impl<R: BufRead> Utf16Reader<R> {
    fn new(inner: R, decoder: Decoder) -> Self {
        Utf16Reader {
            inner,
            decoder,
            out: vec![0; OUT_CAPACITY],
            start: 0,
            end: 0,
            finished: false,
        }
    }
}

impl<R: BufRead> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Utf16Reader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.start == self.end && !self.finished {
            let input = self.inner.fill_buf()?;
            let last = input.is_empty();
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(input, &mut self.out, last);
            self.inner.consume(read);
            self.start = 0;
            self.end = written;
            match result {
                DecoderResult::InputEmpty => self.finished = last,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(..) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "the input is not valid {} (a broken character)",
                            self.decoder.encoding().name()
                        ),
                    ));
                }
            }
        }
        Ok(&self.out[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        self.start = (self.start + amount).min(self.end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xFF, 0xFE] } else { vec![] };
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    fn utf16be(text: &str, bom: bool) -> Vec<u8> {
        let mut bytes = if bom { vec![0xFE, 0xFF] } else { vec![] };
        bytes.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        bytes
    }

    fn read_all(bytes: Vec<u8>) -> (String, Option<&'static str>) {
        // A tiny buffer makes characters straddle the reads.
        let reader: Box<dyn BufRead> =
            Box::new(BufReader::with_capacity(3, std::io::Cursor::new(bytes)));
        let (mut reader, name) = decoding(reader).unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        (text, name)
    }

    const TEXT: &str = "ref\tfirst\r\nA1\tZoë 🦀 Ünal\r\n";

    #[test]
    fn utf16_with_and_without_a_byte_order_mark_is_decoded() {
        assert_eq!(
            read_all(utf16le(TEXT, true)),
            (TEXT.into(), Some("UTF-16LE"))
        );
        assert_eq!(
            read_all(utf16be(TEXT, true)),
            (TEXT.into(), Some("UTF-16BE"))
        );
        // Without a mark the first bytes are read with a larger buffer.
        let bytes = utf16le(TEXT, false);
        let (mut reader, name) = decoding(Box::new(std::io::Cursor::new(bytes))).unwrap();
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!((text.as_str(), name), (TEXT, Some("UTF-16LE")));
        assert_eq!(utf16_without_bom(&utf16be(TEXT, false)), Some(UTF_16BE));
    }

    #[test]
    fn utf8_is_left_as_it_is() {
        let bom = [b"\xEF\xBB\xBF".as_slice(), TEXT.as_bytes()].concat();
        assert_eq!(
            read_all(bom.clone()),
            (String::from_utf8(bom).unwrap(), None)
        );
        assert_eq!(read_all(TEXT.as_bytes().to_vec()), (TEXT.into(), None));
        assert_eq!(utf16_without_bom(b"r"), None);
        assert_eq!(utf16_without_bom(b"ref,first\n"), None);
    }

    #[test]
    fn broken_utf16_is_an_error_not_a_replacement() {
        let mut bytes = utf16le("ref\tfirst\n", true);
        bytes.extend([0x00, 0xD8, b'a', 0]); // a lone high surrogate
        let reader: Box<dyn BufRead> = Box::new(std::io::Cursor::new(bytes));
        let (mut reader, _) = decoding(reader).unwrap();
        let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("not valid UTF-16LE"), "{err}");
    }
}
