//! Framing: turning a connection's byte stream into length-prefixed messages.
//!
//! Every message is an int32 big-endian length and that many bytes. A length that is negative
//! or above `jute.maxbuffer` ends the connection, as it does in ZooKeeper. One exception, on the
//! server side: the first four bytes of a connection may be a four-letter word (`ruok`,
//! `stat`, ...), an admin command the server answers in text before closing.

use std::fmt;

/// ZooKeeper's default `jute.maxbuffer`: the largest frame a server accepts (1 MiB - 1).
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 0xfffff;

/// The four-letter words ZooKeeper 3.8.0 knows (`FourLetterCommands`). Whether a known word is
/// executed depends on the server's `4lw.commands.whitelist`; anything else is a length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FourLetterWord {
    Conf,
    Cons,
    Crst,
    Dirs,
    Dump,
    Envi,
    Gtmk,
    Hash,
    Isro,
    Mntr,
    Ruok,
    Srst,
    Srvr,
    Stat,
    Stmk,
    Wchc,
    Wchp,
    Wchs,
}

impl FourLetterWord {
    pub const ALL: [FourLetterWord; 18] = [
        FourLetterWord::Conf,
        FourLetterWord::Cons,
        FourLetterWord::Crst,
        FourLetterWord::Dirs,
        FourLetterWord::Dump,
        FourLetterWord::Envi,
        FourLetterWord::Gtmk,
        FourLetterWord::Hash,
        FourLetterWord::Isro,
        FourLetterWord::Mntr,
        FourLetterWord::Ruok,
        FourLetterWord::Srst,
        FourLetterWord::Srvr,
        FourLetterWord::Stat,
        FourLetterWord::Stmk,
        FourLetterWord::Wchc,
        FourLetterWord::Wchp,
        FourLetterWord::Wchs,
    ];

    /// The word as sent and as named in the whitelist.
    pub fn as_str(self) -> &'static str {
        match self {
            FourLetterWord::Conf => "conf",
            FourLetterWord::Cons => "cons",
            FourLetterWord::Crst => "crst",
            FourLetterWord::Dirs => "dirs",
            FourLetterWord::Dump => "dump",
            FourLetterWord::Envi => "envi",
            FourLetterWord::Gtmk => "gtmk",
            FourLetterWord::Hash => "hash",
            FourLetterWord::Isro => "isro",
            FourLetterWord::Mntr => "mntr",
            FourLetterWord::Ruok => "ruok",
            FourLetterWord::Srst => "srst",
            FourLetterWord::Srvr => "srvr",
            FourLetterWord::Stat => "stat",
            FourLetterWord::Stmk => "stmk",
            FourLetterWord::Wchc => "wchc",
            FourLetterWord::Wchp => "wchp",
            FourLetterWord::Wchs => "wchs",
        }
    }

    /// The word these four bytes spell, matched case-sensitively as ZooKeeper does.
    pub fn from_bytes(bytes: [u8; 4]) -> Option<FourLetterWord> {
        FourLetterWord::ALL
            .into_iter()
            .find(|word| word.as_str().as_bytes() == bytes)
    }
}

impl fmt::Display for FourLetterWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One unit of a connection's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A four-letter word opened the connection. The decoder yields nothing after it: the
    /// server answers and closes.
    FourLetterWord(FourLetterWord),
    /// A length-prefixed message's payload (the connect request first, then requests).
    Message(Vec<u8>),
}

/// A length prefix the connection cannot recover from: the caller must close it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    NegativeLength(i32),
    TooLong { length: usize, max: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::NegativeLength(length) => write!(f, "negative frame length {length}"),
            FrameError::TooLong { length, max } => {
                write!(f, "frame length {length} exceeds the limit of {max} bytes")
            }
        }
    }
}

impl std::error::Error for FrameError {}

const LENGTH_PREFIX: usize = 4;

/// Where the decoder is in the connection's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DecoderState {
    /// No frame yet: on a server, the first four bytes may be a four-letter word.
    AwaitingFirstFrame {
        four_letter_words: bool,
    },
    Framing,
    /// A four-letter word was read: later bytes are ignored.
    FourLetterWordRead,
    Failed(FrameError),
}

/// Splits a byte stream, fed in chunks of any size, into frames.
///
/// Bytes are appended to one buffer and frames are cut from a read cursor; the consumed prefix
/// is dropped only once it is at least half the buffer, so many small frames in one chunk
/// cost linear time, and a large frame arriving in pieces is copied once more when it is cut.
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
    /// Start of the unconsumed bytes in `buffer`.
    cursor: usize,
    max_frame_length: usize,
    state: DecoderState,
}

impl FrameDecoder {
    /// A server connection's decoder: the first frame may be a four-letter word.
    pub fn for_server(max_frame_length: usize) -> Self {
        Self::new(max_frame_length, true)
    }

    /// A client connection's decoder: every frame is a message.
    pub fn for_client(max_frame_length: usize) -> Self {
        Self::new(max_frame_length, false)
    }

    fn new(max_frame_length: usize, four_letter_words: bool) -> Self {
        FrameDecoder {
            buffer: Vec::new(),
            cursor: 0,
            max_frame_length,
            state: DecoderState::AwaitingFirstFrame { four_letter_words },
        }
    }

    pub fn max_frame_length(&self) -> usize {
        self.max_frame_length
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len().saturating_sub(self.cursor)
    }

    /// Appends bytes received from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        if matches!(
            self.state,
            DecoderState::FourLetterWordRead | DecoderState::Failed(_)
        ) {
            return;
        }
        self.compact();
        self.buffer.extend_from_slice(bytes);
    }

    /// Drops the consumed prefix when that is cheap relative to the work already done.
    fn compact(&mut self) {
        if self.cursor == self.buffer.len() {
            self.buffer.clear();
            self.cursor = 0;
        } else if self.cursor >= self.buffer.len() / 2 {
            self.buffer.drain(..self.cursor);
            self.cursor = 0;
        }
    }

    /// The next complete frame, `Ok(None)` until more bytes arrive. After an error every call
    /// returns that error again.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        let four_letter_words = match self.state {
            DecoderState::Failed(error) => return Err(error),
            DecoderState::FourLetterWordRead => return Ok(None),
            DecoderState::AwaitingFirstFrame { four_letter_words } => four_letter_words,
            DecoderState::Framing => false,
        };
        let unread = self.buffer.get(self.cursor..).unwrap_or(&[]);
        let Some(prefix) = unread.first_chunk::<LENGTH_PREFIX>().copied() else {
            return Ok(None);
        };
        if four_letter_words {
            if let Some(word) = FourLetterWord::from_bytes(prefix) {
                self.state = DecoderState::FourLetterWordRead;
                self.buffer = Vec::new();
                self.cursor = 0;
                return Ok(Some(Frame::FourLetterWord(word)));
            }
        }
        let length = match self.checked_length(i32::from_be_bytes(prefix)) {
            Ok(length) => length,
            Err(error) => {
                self.state = DecoderState::Failed(error);
                self.buffer = Vec::new();
                self.cursor = 0;
                return Err(error);
            }
        };
        self.state = DecoderState::Framing;
        let Some(payload) = unread.get(LENGTH_PREFIX..LENGTH_PREFIX + length) else {
            // Reserve the rest of this frame now, so its bytes are not reallocated piecemeal.
            let missing = LENGTH_PREFIX + length - unread.len();
            self.buffer.reserve(missing);
            return Ok(None);
        };
        let payload = payload.to_vec();
        self.cursor += LENGTH_PREFIX + length;
        Ok(Some(Frame::Message(payload)))
    }

    fn checked_length(&self, length: i32) -> Result<usize, FrameError> {
        let length = usize::try_from(length).map_err(|_| FrameError::NegativeLength(length))?;
        if length > self.max_frame_length {
            return Err(FrameError::TooLong {
                length,
                max: self.max_frame_length,
            });
        }
        Ok(length)
    }
}

/// A payload with its length prefix, ready to send.
pub fn encode_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(LENGTH_PREFIX + payload.len());
    append_frame(&mut frame, payload);
    frame
}

/// Appends a payload with its length prefix to `out`, which may already hold frames.
pub fn append_frame(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(
        &i32::try_from(payload.len())
            .unwrap_or(i32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn drain(decoder: &mut FrameDecoder) -> Result<Vec<Frame>, FrameError> {
        let mut frames = Vec::new();
        while let Some(frame) = decoder.next_frame()? {
            frames.push(frame);
        }
        Ok(frames)
    }

    #[test]
    fn encode_frame_prefixes_the_big_endian_length() {
        assert_eq!(encode_frame(b"abc"), [0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(encode_frame(b""), [0, 0, 0, 0]);
        let mut several = encode_frame(b"x");
        append_frame(&mut several, b"yz");
        assert_eq!(several, [0, 0, 0, 1, b'x', 0, 0, 0, 2, b'y', b'z']);
    }

    #[test]
    fn frames_split_across_chunks_are_reassembled() {
        let mut decoder = FrameDecoder::for_server(DEFAULT_MAX_FRAME_LENGTH);
        let bytes = [
            encode_frame(b"hello"),
            encode_frame(b""),
            encode_frame(b"xy"),
        ]
        .concat();
        decoder.push(&bytes[..2]);
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.push(&bytes[2..7]);
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.push(&bytes[7..]);
        assert_eq!(
            drain(&mut decoder),
            Ok(vec![
                Frame::Message(b"hello".to_vec()),
                Frame::Message(Vec::new()),
                Frame::Message(b"xy".to_vec()),
            ])
        );
        assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn truncated_frame_waits_for_the_rest() {
        let mut decoder = FrameDecoder::for_client(DEFAULT_MAX_FRAME_LENGTH);
        decoder.push(&[0, 0, 0, 10, 1, 2, 3]);
        assert_eq!(decoder.next_frame(), Ok(None));
        assert_eq!(decoder.buffered_len(), 7);
    }

    #[test]
    fn four_letter_word_is_recognised_only_as_the_first_frame() {
        let mut decoder = FrameDecoder::for_server(DEFAULT_MAX_FRAME_LENGTH);
        decoder.push(b"ruok");
        assert_eq!(
            decoder.next_frame(),
            Ok(Some(Frame::FourLetterWord(FourLetterWord::Ruok)))
        );
        decoder.push(b"more bytes are ignored");
        assert_eq!(decoder.next_frame(), Ok(None));

        let mut decoder = FrameDecoder::for_server(DEFAULT_MAX_FRAME_LENGTH);
        decoder.push(&encode_frame(b"connect"));
        decoder.push(b"ruok");
        assert_eq!(
            decoder.next_frame(),
            Ok(Some(Frame::Message(b"connect".to_vec())))
        );
        // "ruok" after the handshake is the length 0x72756f6b: far over the limit.
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::TooLong {
                length: 0x7275_6f6b,
                max: DEFAULT_MAX_FRAME_LENGTH
            })
        );
    }

    #[test]
    fn every_zookeeper_3_8_word_is_known_and_nothing_else() {
        let words: Vec<&str> = FourLetterWord::ALL.iter().map(|w| w.as_str()).collect();
        assert_eq!(
            words.join(" "),
            "conf cons crst dirs dump envi gtmk hash isro mntr ruok srst srvr stat stmk wchc wchp wchs"
        );
        for word in FourLetterWord::ALL {
            let bytes = *word.as_str().as_bytes().first_chunk::<4>().unwrap();
            assert_eq!(FourLetterWord::from_bytes(bytes), Some(word));
        }
        assert_eq!(FourLetterWord::from_bytes(*b"RUOK"), None);
        assert_eq!(FourLetterWord::from_bytes(*b"icfg"), None);
        // Telnet's close sequence is known to ZooKeeper but ends as a negative length there too.
        assert_eq!(FourLetterWord::from_bytes([0xff, 0xf4, 0xff, 0xfd]), None);
    }

    #[test]
    fn client_decoder_treats_four_letters_as_a_length() {
        let mut decoder = FrameDecoder::for_client(DEFAULT_MAX_FRAME_LENGTH);
        decoder.push(b"ruok");
        assert!(matches!(
            decoder.next_frame(),
            Err(FrameError::TooLong { .. })
        ));
    }

    #[test]
    fn garbage_before_the_handshake_is_a_fatal_length_error() {
        let mut decoder = FrameDecoder::for_server(DEFAULT_MAX_FRAME_LENGTH);
        decoder.push(b"GET / HTTP/1.1\r\n");
        let error = decoder.next_frame().unwrap_err();
        assert_eq!(
            error,
            FrameError::TooLong {
                length: 0x4745_5420,
                max: DEFAULT_MAX_FRAME_LENGTH
            }
        );
        decoder.push(&encode_frame(b"too late"));
        assert_eq!(decoder.next_frame(), Err(error));
        assert_eq!(decoder.buffered_len(), 0);
    }

    #[test]
    fn negative_length_is_fatal() {
        let mut decoder = FrameDecoder::for_server(DEFAULT_MAX_FRAME_LENGTH);
        decoder.push(&[0xff, 0xf4, 0xff, 0xfd]);
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::NegativeLength(-720_899))
        );
        assert_eq!(
            FrameError::NegativeLength(-5).to_string(),
            "negative frame length -5"
        );
    }

    #[test]
    fn the_limit_itself_is_allowed_and_one_more_is_not() {
        let mut decoder = FrameDecoder::for_server(8);
        decoder.push(&encode_frame(&[7; 8]));
        assert_eq!(decoder.next_frame(), Ok(Some(Frame::Message(vec![7; 8]))));
        decoder.push(&encode_frame(&[7; 9]));
        assert_eq!(
            decoder.next_frame(),
            Err(FrameError::TooLong { length: 9, max: 8 })
        );
    }

    #[test]
    fn many_small_frames_in_one_chunk_decode_in_linear_time() {
        let count = 50_000;
        let chunk: Vec<u8> = (0..count)
            .flat_map(|i: u32| encode_frame(&i.to_be_bytes()))
            .collect();
        let mut decoder = FrameDecoder::for_server(DEFAULT_MAX_FRAME_LENGTH);
        decoder.push(&chunk);
        let frames = drain(&mut decoder).unwrap();
        assert_eq!(frames.len(), count as usize);
        assert_eq!(
            frames.last(),
            Some(&Frame::Message((count - 1).to_be_bytes().to_vec()))
        );
    }

    /// Frames encoded back to back, some of them empty.
    fn frame_stream() -> impl Strategy<Value = (Vec<Vec<u8>>, Vec<u8>)> {
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..12).prop_map(
            |payloads| {
                let bytes = payloads.iter().flat_map(|p| encode_frame(p)).collect();
                (payloads, bytes)
            },
        )
    }

    /// Feeds `bytes` in chunks of the given sizes (cycled), collecting frames as they come.
    fn decode_in_chunks(
        decoder: &mut FrameDecoder,
        bytes: &[u8],
        chunk_sizes: &[usize],
    ) -> (Vec<Frame>, Option<FrameError>) {
        let mut frames = Vec::new();
        let mut rest = bytes;
        let mut sizes = chunk_sizes.iter().cycle();
        while !rest.is_empty() {
            let size = sizes.next().copied().unwrap_or(1).clamp(1, rest.len());
            let (chunk, tail) = rest.split_at(size);
            rest = tail;
            decoder.push(chunk);
            loop {
                match decoder.next_frame() {
                    Ok(Some(frame)) => frames.push(frame),
                    Ok(None) => break,
                    Err(error) => return (frames, Some(error)),
                }
            }
        }
        (frames, None)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn chunking_does_not_change_the_frames(
            (payloads, bytes) in frame_stream(),
            chunk_sizes in proptest::collection::vec(1usize..20, 1..8),
        ) {
            let mut decoder = FrameDecoder::for_client(DEFAULT_MAX_FRAME_LENGTH);
            let (frames, error) = decode_in_chunks(&mut decoder, &bytes, &chunk_sizes);
            prop_assert_eq!(error, None);
            let expected: Vec<Frame> = payloads.into_iter().map(Frame::Message).collect();
            prop_assert_eq!(frames, expected);
            prop_assert_eq!(decoder.buffered_len(), 0);
        }

        #[test]
        fn arbitrary_bytes_decode_the_same_whatever_the_chunking(
            bytes in proptest::collection::vec(any::<u8>(), 0..200),
            chunk_sizes in proptest::collection::vec(1usize..16, 1..6),
            max in 0usize..64,
        ) {
            let mut whole = FrameDecoder::for_server(max);
            let expected = decode_in_chunks(&mut whole, &bytes, &[bytes.len().max(1)]);
            let mut chunked = FrameDecoder::for_server(max);
            let actual = decode_in_chunks(&mut chunked, &bytes, &chunk_sizes);
            prop_assert_eq!(actual, expected);
        }
    }
}
