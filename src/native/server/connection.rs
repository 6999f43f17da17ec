//! One client connection: bytes in are framed and decoded into handshake, requests or a
//! four-letter word for the server task; frames out are written in order, batched while more
//! are waiting. A malformed frame closes this connection and nothing else.

use super::Event;
use crate::proto::frame::{Frame, FrameDecoder};
use crate::proto::records::{decode_connect_request, decode_request};
use crate::zkserver::ConnId;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

/// What the server task sends a connection.
pub enum Outgoing {
    /// One or more length-prefixed frames, back to back.
    Frames(Vec<u8>),
    /// Raw text (a four-letter word's answer), after which the connection closes.
    TextThenClose(String),
    Close,
}

pub async fn serve(
    stream: TcpStream,
    conn: ConnId,
    peer: SocketAddr,
    server: UnboundedSender<Event>,
    max_frame_len: usize,
    handshake_timeout: std::time::Duration,
) {
    let _ = stream.set_nodelay(true);
    let (mut reader, writer) = stream.into_split();
    let (outgoing, outbox) = unbounded_channel();
    if server
        .send(Event::Accepted {
            conn,
            peer,
            writer: outgoing,
        })
        .is_err()
    {
        return;
    }
    let mut writer_task = tokio::spawn(write_loop(writer, outbox));
    let mut writer_done = false;
    let mut decoder = FrameDecoder::for_server(max_frame_len);
    let mut buffer = vec![0u8; 64 * 1024];
    let mut handshaken = false;
    // A connection that has not completed its handshake by then is dropped, as ZooKeeper
    // drops "sessionless" connections, so half-sent frames cannot hold sockets forever.
    let handshake_deadline = tokio::time::Instant::now() + handshake_timeout;
    loop {
        let deadline = if handshaken {
            tokio::time::Instant::now() + std::time::Duration::from_secs(86_400 * 365)
        } else {
            handshake_deadline
        };
        // The server closes a connection by ending its writer: stop reading then too.
        let read = tokio::select! {
            read = reader.read(&mut buffer) => read,
            _ = &mut writer_task => {
                writer_done = true;
                break;
            }
            _ = tokio::time::sleep_until(deadline) => break,
        };
        let read = match read {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        decoder.push(&buffer[..read]);
        // Everything this read completed goes to the server task in one message.
        let mut events = Vec::new();
        let mut stop = false;
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(_) => {
                    stop = true;
                    break;
                }
            };
            let event = match frame {
                Frame::FourLetterWord(word) => Event::FourLetter {
                    conn,
                    word: word.as_str().to_string(),
                },
                Frame::Message(payload) if !handshaken => match decode_connect_request(&payload) {
                    Ok(request) => {
                        handshaken = true;
                        Event::Connect { conn, request }
                    }
                    Err(_) => {
                        stop = true;
                        break;
                    }
                },
                Frame::Message(payload) => match decode_request(&payload) {
                    Ok((header, request)) => Event::Request {
                        conn,
                        header,
                        request,
                    },
                    Err(_) => {
                        stop = true;
                        break;
                    }
                },
            };
            // A four-letter word is a connection's only message.
            stop = matches!(event, Event::FourLetter { .. });
            events.push(event);
            if stop {
                break;
            }
        }
        let delivered = match events.len() {
            0 => true,
            1 => server.send(events.remove(0)).is_ok(),
            _ => server.send(Event::Several(events)).is_ok(),
        };
        if !delivered || stop {
            break;
        }
    }
    let _ = server.send(Event::Lost { conn });
    if !writer_done {
        let _ = writer_task.await;
    }
}

async fn write_loop(
    writer: tokio::net::tcp::OwnedWriteHalf,
    mut outbox: UnboundedReceiver<Outgoing>,
) {
    let mut writer = BufWriter::with_capacity(64 * 1024, writer);
    while let Some(first) = outbox.recv().await {
        let mut next = Some(first);
        // Write everything already queued, then flush once.
        while let Some(item) = next {
            match item {
                Outgoing::Frames(bytes) => {
                    if writer.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Outgoing::TextThenClose(text) => {
                    let _ = writer.write_all(text.as_bytes()).await;
                    let _ = writer.flush().await;
                    let _ = writer.shutdown().await;
                    return;
                }
                Outgoing::Close => {
                    let _ = writer.flush().await;
                    let _ = writer.shutdown().await;
                    return;
                }
            }
            next = outbox.try_recv().ok();
        }
        if writer.flush().await.is_err() {
            return;
        }
    }
}
